// Nothing lost (issue 14): an output is never one of the run's inputs, an existing file is only
// ever replaced by a complete one (a temporary file beside it, renamed when finish() succeeds),
// a failed or aborted run leaves no temporary file, and two live writers never share a file.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createMp4Writer, encodePcmToMp3, audio as generated, renderSegment, renderVideo, stitchSegments, type Layout,
} from '../src/index.js';
import { drawPattern } from '../src/generate/patterns.js';
import { FragmentedMuxer } from '../src/mux/fragmented-muxer.js';
import { MemorySink, type Sink } from '../src/mux/sink.js';
import type { TrackInfo } from '../src/mux/types.js';
import { openFileSink } from '../src/platform/io.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { VGA_VIDEO_TRACK, vgaSample } from './helpers/mux-tracks.js';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { rejection } from './helpers/rejection.js';
import { tmpFile, workDir } from './helpers/render.js';

const W = 160;
const H = 96;
const base = { width: W, height: H, fps: 30 } as const;
const LAYOUTS: Layout[] = ['faststart', 'progressive', 'fragmented'];

/** mp4forge's temporary files beside `file`. */
function temps(file: string): string[] {
  return readdirSync(dirname(file)).filter((f) => f.startsWith(`.${basename(file)}.mp4forge-`));
}

async function mp3(path: string, seconds = 1): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of encodePcmToMp3(generated.melody({ seconds }))) parts.push(c);
  const bytes = Buffer.concat(parts);
  writeFileSync(path, bytes);
  return bytes;
}

async function frames(writer: { addFrame(f: Uint8Array): Promise<void> }, n: number, from = 0): Promise<void> {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = from; i < from + n; i++) {
    drawPattern('bars', rgba, W, H, i);
    await writer.addFrame(rgba);
  }
}

describe('an output that is one of the inputs is refused before anything is written (item 1)', () => {
  it('the MP3 of `audio`: same path, a hard link to it, a symlink to it, or its symlink', async () => {
    const song = tmpFile('in-song.mp3');
    const bytes = await mp3(song);
    const hard = tmpFile('in-song-hard.mp3');
    linkSync(song, hard);
    const soft = tmpFile('in-song-soft.mp3');
    symlinkSync(song, soft);
    for (const [audio, output] of [[song, song], [song, hard], [song, soft], [soft, song], [join(workDir, '.', 'in-song.mp3'), song]]) {
      const err = await rejection(createMp4Writer({ ...base, audio, output }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.details).toMatchObject({ option: 'output', input: 'audio' });
      expect(err.message).toBe(
        `output ${output} is the same file as the audio (${audio}): writing it would destroy the input; choose another output path`,
      );
      expect(readFileSync(song).equals(bytes)).toBe(true);
      expect(temps(song)).toEqual([]);
    }
    // renderVideo too, and an output that is another file is fine.
    expect((await rejection(renderVideo({ ...base, frames: 2, scene: 'bars', workers: 0, audio: song, output: hard }))).code).toBe('INVALID_OPTION');
    const ok = await renderVideo({ ...base, frames: 2, scene: 'bars', workers: 0, audio: song, output: tmpFile('in-song-out.mp4') });
    expect(ok.audio?.frames).toBeGreaterThan(0);
  });

  it('a scene module (renderVideo, renderSegment) and a segment being stitched (path or renderSegment result)', async () => {
    const scene = tmpFile('in-scene.mjs');
    const code = 'export function draw(i, rgba) { rgba.fill(i % 256); }\n';
    writeFileSync(scene, code);
    const url = pathToFileURL(scene);
    for (const s of [url, url.href]) {
      const err = await rejection(renderVideo({ ...base, frames: 2, scene: s, workers: 0, output: scene }));
      expect(err.message).toMatch(/is the same file as the scene module/);
    }
    const seg = await rejection(renderSegment({ ...base, scene: url, range: { start: 0, end: 2 }, output: scene }));
    expect(seg.details).toMatchObject({ option: 'output', input: 'scene module' });
    expect(readFileSync(scene, 'utf8')).toBe(code);

    const p1 = await renderSegment({ ...base, scene: 'bars', video: { gop: 16 }, range: { start: 0, end: 16 }, output: tmpFile('in-p1.m4s') });
    const p2 = await renderSegment({ ...base, scene: 'bars', video: { gop: 16 }, range: { start: 16, end: 32 }, output: tmpFile('in-p2.m4s') });
    const before = readFileSync(p2.path as string);
    for (const parts of [[p1.path as string, p2.path as string], [p1, p2]]) {
      const err = await rejection(stitchSegments(parts, { output: p2.path as string }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toBe(
        `output ${p2.path} is the same file as the segment 2 of 2 (${p2.path}): writing it would destroy the input; choose another output path`,
      );
    }
    expect(readFileSync(p2.path as string).equals(before)).toBe(true);
    const song = tmpFile('in-stitch.mp3');
    await mp3(song);
    expect((await rejection(stitchSegments([p1, p2], { output: song, audio: song }))).details).toMatchObject({ input: 'audio' });
  });
});

describe('an existing file is replaced only by a complete one (item 2)', () => {
  it('abort, a signal, a throwing frame callback and finish() without frames leave it as it was, and no temporary file', async () => {
    for (const layout of LAYOUTS) {
      const out = tmpFile(`keep-${layout}.mp4`);
      const stop = async (how: number) => {
        writeFileSync(out, 'precious');
        const ac = new AbortController();
        const w = await createMp4Writer({ ...base, layout, output: out, signal: ac.signal, video: { gop: 8 } });
        expect(temps(out)).toHaveLength(1); // written beside it, under a temporary name
        if (how !== 3) await frames(w, 40); // five whole fragments for 'fragmented'
        expect(readFileSync(out, 'utf8')).toBe('precious'); // untouched while the writer runs
        if (how === 0) await w.abort();
        if (how === 1) {
          ac.abort(new Error('stop'));
          expect((await rejection(w.finish())).code).toBe('ABORTED');
        }
        if (how === 2) {
          const err = await rejection(w.addFrames(5, (i) => {
            if (i === 42) throw new Error('boom');
          }));
          expect(err.code).toBe('USER_CALLBACK_FAILED');
        }
        if (how === 3) expect((await rejection(w.finish())).message).toMatch(/at least one frame/);
        expect(readFileSync(out, 'utf8'), `${layout}, case ${how}`).toBe('precious');
        expect(temps(out), `${layout}, case ${how}`).toEqual([]);
      };
      for (let how = 0; how < 4; how++) await stop(how);
    }
  });

  it('finish() replaces it in one rename: the new file is complete, keeps the old mode, and a symlink is written through', async () => {
    const real = tmpFile('replace-real.mp4');
    writeFileSync(real, 'old');
    chmodSync(real, 0o640);
    const link = tmpFile('replace-link.mp4');
    symlinkSync(real, link);
    const w = await createMp4Writer({ ...base, output: link });
    await frames(w, 10);
    // The temporary file sits beside the real file, in its directory.
    expect(temps(real)).toHaveLength(1);
    expect(readFileSync(real, 'utf8')).toBe('old');
    const r = await w.finish();
    expect(r.path).toBe(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o640);
    expect(statSync(real).size).toBe(r.bytes);
    expect(assertValidIsoBmff(readFileSync(real)).boxes.map((b) => b.type)).toEqual(['ftyp', 'moov', 'mdat']);
    expect(Number((await ffprobe(real, { count: true })).streams[0].nb_read_frames)).toBe(10);
    expect(temps(real)).toEqual([]);
  });

  it('fragmented: complete fragments are kept when there was no file, cut at the last whole fragment, never over an existing file', async () => {
    const ref = await createMp4Writer({ ...base, output: { buffer: true }, layout: 'fragmented', video: { gop: 8 } });
    await frames(ref, 64);
    const whole = (await ref.finish()).data as Uint8Array;

    for (let trial = 0; trial < 6; trial++) {
      const out = tmpFile(`frag-kept-${trial}.mp4`);
      const ac = new AbortController();
      const w = await createMp4Writer({ ...base, output: out, layout: 'fragmented', signal: ac.signal, video: { gop: 8 } });
      // The abort lands at a moment of its own, often while a fragment is being written.
      const at = 12 + trial * 7;
      const rgba = new Uint8Array(W * H * 4);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 64; i++) {
        drawPattern('bars', rgba, W, H, i);
        pending.push(w.addFrame(rgba).catch(() => undefined));
        if (i === at) setTimeout(() => ac.abort(), trial);
      }
      await Promise.all(pending);
      await w.finish().catch(() => undefined);
      expect(temps(out)).toEqual([]);
      if (!existsSync(out)) continue; // aborted before the first complete fragment
      const kept = readFileSync(out);
      assertValidIsoBmff(kept);
      // The moov differs in nothing but the file is the same bytes as a finished one, fragment for fragment.
      expect(Buffer.from(whole.subarray(0, kept.length)).equals(kept), `trial ${trial}`).toBe(true);
      const n = Number((await ffprobe(out, { count: true })).streams[0].nb_read_frames);
      expect(n % 8).toBe(0);
      expect(await ffmpegDecodeCheck(out)).toEqual({ ok: true, stderr: '' });
    }

    const old = tmpFile('frag-old.mp4');
    writeFileSync(old, 'old');
    const w = await createMp4Writer({ ...base, output: old, layout: 'fragmented', video: { gop: 8 } });
    await frames(w, 40);
    await w.abort();
    expect(readFileSync(old, 'utf8')).toBe('old');
    expect(temps(old)).toEqual([]);
  });

  it('an abort that comes in the middle of a fragment cuts the file back to the last complete fragment', async () => {
    const tracks: TrackInfo[] = [VGA_VIDEO_TRACK];
    const reference = new MemorySink();
    const whole = new FragmentedMuxer({ sink: reference, tracks });
    for (let i = 0; i < 40; i++) await whole.addSample(0, vgaSample(i));
    await whole.finish();

    // The abort comes as the third fragment's moof is written (moof, mdat header, samples follow).
    for (const cutAt of ['moof', 'mdat']) {
      const out = tmpFile(`frag-cut-${cutAt}.mp4`);
      const file = await openFileSink(out);
      let seen = 0;
      let stopped: Promise<void> | undefined;
      const sink: Sink = {
        write: async (bytes) => {
          if (Buffer.from(bytes.subarray(4, 8)).toString('latin1') === cutAt && ++seen === 3) stopped = muxer.abort(new Error('stop'));
          await file.write(bytes);
        },
        close: () => file.close(),
        abort: (reason, incomplete, completeBytes) => file.abort(reason, incomplete, completeBytes),
      };
      const muxer = new FragmentedMuxer({ sink, tracks });
      for (let i = 0; i < 40 && !stopped; i++) await muxer.addSample(0, vgaSample(i)).catch(() => undefined);
      await stopped;
      const kept = readFileSync(out);
      assertValidIsoBmff(kept);
      // ftyp + moov and exactly two whole fragments: the same bytes as the finished file's start.
      expect(Buffer.from(reference.data().subarray(0, kept.length)).equals(kept), cutAt).toBe(true);
      expect(assertValidIsoBmff(kept).boxes.map((b) => b.type)).toEqual(['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat']);
      expect(temps(out)).toEqual([]);
    }
  });

  it('a process that exits with a writer still open (never finished, or process.exit() mid-run) leaves no temporary file', async () => {
    const out = tmpFile('abandoned.mp4');
    writeFileSync(out, 'old');
    const script =
      `import { createMp4Writer } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist/index.js')).href)};\n` +
      `const w = await createMp4Writer({ width: ${W}, height: ${H}, fps: 30, output: ${JSON.stringify(out)} });\n` +
      `for (let i = 0; i < 5; i++) await w.addFrame(new Uint8Array(${W * H * 4}));\n` +
      'if (process.argv[1] === "exit") process.exit(3);\n';
    for (const how of ['exit', 'drop']) {
      const code = await new Promise<number | null>((resolve) =>
        spawn(process.execPath, ['--input-type=module', '-e', script, how], { stdio: 'inherit' }).on('close', resolve),
      );
      expect(code).toBe(how === 'exit' ? 3 : 0);
      expect(readFileSync(out, 'utf8')).toBe('old');
      expect(temps(out)).toEqual([]);
    }
  });

  it('a name as long as the file system takes (255 bytes) is written: its temporary name is shortened to fit', async () => {
    const dir = tmpFile('long-names');
    mkdirSync(dir);
    for (const name of [`${'a'.repeat(251)}.mp4`, `${'é'.repeat(125)}a.mp4`, `${'a'.repeat(200)}.mp4`]) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      const out = join(dir, name);
      const w = await createMp4Writer({ ...base, output: out });
      expect(readdirSync(dir).filter((f) => f.includes('.mp4forge-'))).toHaveLength(1);
      await frames(w, 3);
      await w.finish();
      expect(Number((await ffprobe(out, { count: true })).streams[0].nb_read_frames)).toBe(3);
      expect(readdirSync(dir)).toEqual([name]);
      rmSync(out);
    }
  });

  it('a rename that fails at finish() (a directory put at the path meanwhile) is SINK_FAILED and leaves no temporary file', async () => {
    // A directory of its own (as the next test has): a temporary file left here must not fail the FIFO test, which checks workDir.
    mkdirSync(tmpFile('rename-fails'));
    const out = join(tmpFile('rename-fails'), 'became-a-directory.mp4');
    const w = await createMp4Writer({ ...base, output: out });
    await frames(w, 3);
    mkdirSync(out);
    writeFileSync(join(out, 'inside'), 'x');
    expect((await rejection(w.finish())).code).toBe('SINK_FAILED');
    expect(temps(out)).toEqual([]);
    expect(readdirSync(out)).toEqual(['inside']);
  });

  it('a temporary file that cannot be created is SINK_FAILED each time, not a second writer', async () => {
    // procfs takes no new files, whoever asks (root included).
    for (let i = 0; i < 2; i++) {
      const err = await rejection(createMp4Writer({ ...base, output: '/proc/mp4forge-test.mp4' }));
      expect(err.code).toBe('SINK_FAILED');
      expect(err.message).toMatch(/^Writing the output failed: cannot write \/proc\/mp4forge-test\.mp4: ENOENT/);
    }
  });

  it('a process that writes file after file keeps no exit listener behind', async () => {
    const before = process.listenerCount('exit');
    mkdirSync(tmpFile('listeners'));
    for (let i = 0; i < 3; i++) {
      const w = await createMp4Writer({ ...base, output: join(tmpFile('listeners'), `${i}.mp4`) });
      expect(process.listenerCount('exit')).toBe(before + 1); // its temporary file is removed if the process exits meanwhile
      await frames(w, 2);
      if (i === 1) await w.abort();
      else await w.finish();
    }
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('a missing directory or a directory as output is SINK_FAILED naming it, and creates nothing', async () => {
    const missing = join(workDir, 'no-such-dir', 'x.mp4');
    const err = await rejection(createMp4Writer({ ...base, output: missing }));
    expect(err.code).toBe('SINK_FAILED');
    expect(err.message).toBe(`Writing the output failed: cannot create ${missing}: the directory ${dirname(missing)} does not exist`);
    expect(existsSync(dirname(missing))).toBe(false);
    const dir = tmpFile('a-directory');
    mkdirSync(dir);
    expect((await rejection(createMp4Writer({ ...base, output: dir }))).message).toBe(
      `Writing the output failed: ${dir} is a directory; expected a file path`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  // A FIFO stands for every non-regular file (devices too: resolveTarget asks only isFile()). Not
  // /dev/null itself: a regression here would replace the machine's /dev/null with a regular file.
  it('a FIFO is written as a stream, never replaced: faststart goes through the spool, the reader gets a whole MP4', async () => {
    const fifo = tmpFile('out.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const before = statSync(fifo);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise<number | null>((res) => reader.on('close', res));
    const w = await createMp4Writer({ ...base, output: fifo });
    await frames(w, 5);
    const r = await w.finish();
    const after = statSync(fifo);
    if (!after.isFIFO()) reader.kill(); // replaced: the reader would wait for a writer forever
    expect(after.isFIFO()).toBe(true);
    expect(after.ino).toBe(before.ino);
    expect(await closed).toBe(0);
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(r.bytes);
    const copy = tmpFile('from-fifo.mp4');
    writeFileSync(copy, got);
    const probe = await ffprobe(copy, { count: true });
    expect(probe.streams[0]?.nb_read_packets).toBe('5');
    expect((await ffmpegDecodeCheck(copy)).ok).toBe(true);
    expect(readdirSync(dirname(fifo)).filter((f) => f.includes('.mp4forge'))).toEqual([]);
  });

  it('the faststart spool of a stream output has no name on disk: nothing in TMPDIR while writing or after', async () => {
    const spools = () => readdirSync(tmpdir()).filter((f) => f.endsWith('.spool'));
    const sinkStream = new PassThrough();
    let bytes = 0;
    sinkStream.on('data', (d: Buffer) => (bytes += d.length));
    const w = await createMp4Writer({ ...base, output: sinkStream });
    await frames(w, 20);
    expect(spools()).toEqual([]);
    const r = await w.finish();
    expect(bytes).toBe(r.bytes);
    expect(spools()).toEqual([]);
  });
});

describe('two writers to one file (item 4)', () => {
  it('a second live writer to the same file is refused (any spelling of its path); once the first is done, the path is free again', async () => {
    const out = tmpFile('shared.mp4');
    const alias = tmpFile('shared-dir-link');
    symlinkSync(workDir, alias);
    const first = await createMp4Writer({ ...base, output: out });
    for (const same of [out, relative(process.cwd(), out), join(alias, 'shared.mp4')]) {
      const err = await rejection(createMp4Writer({ ...base, output: same }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toBe(`output ${same} is already being written by another writer of this process; wait for it to finish, or choose another path`);
    }
    // The same in one Promise.all: exactly one of them gets the file.
    const other = tmpFile('shared-2.mp4');
    const both = await Promise.allSettled([createMp4Writer({ ...base, output: other }), createMp4Writer({ ...base, output: other })]);
    expect(both.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = both.find((s) => s.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof createMp4Writer>>>;
    await frames(winner.value, 3);
    await winner.value.finish();
    expect(Number((await ffprobe(other, { count: true })).streams[0].nb_read_frames)).toBe(3);

    await frames(first, 4);
    await first.finish();
    const again = await createMp4Writer({ ...base, output: out });
    await frames(again, 2);
    await again.finish();
    expect(Number((await ffprobe(out, { count: true })).streams[0].nb_read_frames)).toBe(2);
    // A failed writer frees the path too.
    const failed = await createMp4Writer({ ...base, output: out });
    await failed.abort();
    await (await createMp4Writer({ ...base, output: out })).abort();
    expect(await ffmpegDecodeCheck(out)).toEqual({ ok: true, stderr: '' });
  });

  it('in separate processes, each writes its own temporary file and the last rename wins: always one whole MP4, never a mix', async () => {
    const target = tmpFile('race.mp4');
    const script = (n: number) =>
      `import { createMp4Writer, patterns } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist/index.js')).href)};\n` +
      `const w = await createMp4Writer({ width: ${W}, height: ${H}, fps: 30, output: ${JSON.stringify(target)} });\n` +
      `const f = new Uint8Array(${W * H * 4});\n` +
      `for (let i = 0; i < ${n}; i++) { patterns.bars(f, ${W}, ${H}, i); await w.addFrame(f); }\n` +
      'await w.finish();\n';
    const run = (n: number) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, ['--input-type=module', '-e', script(n)], { stdio: 'inherit' }).on('close', resolve));
    for (let round = 0; round < 3; round++) {
      expect(await Promise.all([run(20), run(31)])).toEqual([0, 0]);
      const n = Number((await ffprobe(target, { count: true })).streams[0].nb_read_frames);
      expect([20, 31]).toContain(n);
      expect(await ffmpegDecodeCheck(target)).toEqual({ ok: true, stderr: '' });
      expect(temps(target)).toEqual([]);
    }
  });
});
