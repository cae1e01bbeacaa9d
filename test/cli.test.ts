// The `mp4forge` command line, run as a child process exactly as users run it (node dist/cli.js),
// with outputs checked by ffprobe/ffmpeg and the independent ISO-BMFF validator. `npm test` builds
// dist/ first; run `npx tsup` before running this file alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandHelp, parseArgs, wantsHelp, type CommandSpec } from '../src/cli/args.js';
import { encodeSpec } from '../src/cli/commands/encode.js';
import { renderSpec } from '../src/cli/commands/render.js';
import { UsageError } from '../src/cli/errors.js';
import { ForwardSource } from '../src/cli/stream-source.js';
import { clock, formatProgress, ProgressBar } from '../src/cli/progress.js';
import { toI420 } from '../src/encode/convert.js';
import type { Mp4ForgeError } from '../src/errors.js';
import { renderVideo } from '../src/index.js';
import { readBarsCounter } from '../src/generate/bars.js';
import { drawPattern, patterns } from '../src/generate/patterns.js';
import { summarizeBoxes } from '../src/probe/mp4-describe.js';
import { bytesSource, probeMp4 } from '../src/probe/mp4-probe.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { decodeRgbFrames, ffmpegDecodeCheck, ffmpegSync, ffprobe, ffprobePackets } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const W = 160;
const H = 96;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds it) before this test file`);

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built CLI; `input` chunks are written to stdin one by one, honouring backpressure. */
function cli(args: string[], input?: Uint8Array[] | Uint8Array, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MP4FORGE_DEBUG: '', ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // the CLI may exit before reading everything (that is under test)
    void (async () => {
      const chunks = input === undefined ? [] : input instanceof Uint8Array ? [input] : input;
      for (const c of chunks) {
        if (!child.stdin.write(c)) await new Promise((r) => child.stdin.once('drain', r));
      }
      child.stdin.end();
    })();
  });
}

/** Runs a shell pipeline (for producers such as python3 writing into the CLI). */
function shell(script: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

/**
 * Runs the built CLI with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`, which
 * gives the child a terminal of its own); `stdout` is what the terminal showed, in order, with its
 * `\r\n` line ends.
 */
function onTerminal(args: string[]): Promise<CliRun> {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  return shell('script -qfec "$CMD" /dev/null', { CMD: [process.execPath, CLI, ...args].map(quote).join(' '), MP4FORGE_DEBUG: '' });
}

/** stderr must be exactly one `mp4forge: ...` line with no stack trace. */
function expectOneErrorLine(r: CliRun): string {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mp4forge: /);
  expect(r.stderr).not.toMatch(/^\s+at /m); // a stack frame line
  return lines[0];
}

function barsFrames(n: number, width = W, height = H): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const rgba = new Uint8Array(width * height * 4);
    drawPattern('bars', rgba, width, height, i);
    frames.push(rgba);
  }
  return frames;
}

/** Concatenates frames and re-cuts them into chunks of awkward sizes, so frames straddle chunks. */
function rechunk(frames: Uint8Array[], sizes: number[]): Uint8Array[] {
  const all = Buffer.concat(frames);
  const out: Uint8Array[] = [];
  for (let o = 0, k = 0; o < all.length; k++) {
    const n = Math.min(sizes[k % sizes.length], all.length - o);
    out.push(all.subarray(o, o + n));
    o += n;
  }
  return out;
}

async function expectBarsCounters(file: string, n: number): Promise<void> {
  const decoded = await decodeRgbFrames(file, W, H);
  expect(decoded).toHaveLength(n);
  expect(decoded.map((f) => readBarsCounter(f, 3, W, H))).toEqual(Array.from({ length: n }, (_, i) => i));
}

function topLevel(file: string): string[] {
  return assertValidIsoBmff(file).boxes.map((b) => b.type);
}

async function keyPackets(file: string): Promise<{ total: number; keys: number }> {
  const packets = await ffprobePackets(file);
  return { total: packets.length, keys: packets.filter((p) => p.flags.includes('K')).length };
}

/** A 30-frame bars file in `layout`, rendered once by the CLI (the render tests check it in depth). */
async function rendered(layout: 'progressive' | 'fragmented'): Promise<string> {
  const out = tmpFile(`cli-render-${layout}.mp4`);
  if (!existsSync(out)) {
    const r = await cli(['render', '--width', `${W}`, '--height', `${H}`, '--frames', '30', '--layout', layout, '--gop', '10', '--out', out]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return out;
}

let toneMp3: string | null = null;
/** A 1 s stereo 44.1 kHz MP3 made by ffmpeg/libmp3lame (with a LAME tag), under a name that does not say MP3. */
function tone(): string {
  if (!toneMp3) {
    toneMp3 = tmpFile('cli-tone.bin');
    ffmpegSync([
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1:sample_rate=44100', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3', toneMp3,
    ]);
  }
  return toneMp3;
}

const hasPython = spawnSync('python3', ['-c', 'import sys'], { stdio: 'ignore' }).status === 0;

describe('mp4forge render', () => {
  for (const layout of ['faststart', 'progressive', 'fragmented'] as const) {
    it(`writes a ${layout} file that ffprobe reads as 30 frames at 30 fps, and probe agrees`, async () => {
      const out = tmpFile(`cli-render-${layout}.mp4`);
      const r = await cli([
        'render', '--width', `${W}`, '--height', `${H}`, '--fps', '30', '--frames', '30', '--pattern', 'bars', '--layout', layout, '--gop', '10',
        '--out', out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toMatch(/^mp4forge: wrote cli-render-.*: 30 frames, 1\.000 s of video, .* \((faststart|progressive|fragmented)\) in .* fps\n$/);

      const p = await ffprobe(out, { count: true });
      const v = p.streams[0];
      expect(v.codec_name).toBe('h264');
      expect([v.width, v.height]).toEqual([W, H]);
      expect(v.nb_read_frames).toBe('30');
      expect(v.r_frame_rate).toBe('30/1');

      const boxes = topLevel(out);
      if (layout === 'fragmented') expect(boxes).toContain('moof');
      else expect(boxes.indexOf('moov') < boxes.indexOf('mdat')).toBe(layout === 'faststart');

      const probe = await cli(['probe', out, '--json']);
      expect(probe.code, probe.stderr).toBe(0);
      const info = JSON.parse(probe.stdout.toString()) as Awaited<ReturnType<typeof probeMp4>>;
      expect(info.layout).toBe(layout);
      const { total, keys } = await keyPackets(out);
      expect(info.tracks).toHaveLength(1);
      expect(info.tracks[0]).toMatchObject({ type: 'video', width: W, height: H, samples: total, keyframes: keys });
      expect(keys).toBe(3); // --gop 10 over 30 frames
      expect(info.tracks[0].frameRate).toMatchObject({ num: 30, den: 1, constant: true });
      expect(info.durationSeconds).toBeCloseTo(Number(p.format.duration), 2);

      const text = await cli(['probe', out]);
      expect(text.code).toBe(0);
      expect(text.stdout.toString()).toContain(`Layout: ${layout}`);
      expect(text.stdout.toString()).toContain(`${total} samples (${keys} keyframes)`);
      await expectBarsCounters(out, 30);
    });
  }

  it('keeps 30000/1001 exact', async () => {
    const out = tmpFile('cli-ntsc.mp4');
    const r = await cli(['render', '--width', `${W}`, '--height', `${H}`, '--fps', '30000/1001', '--frames', '30', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.toString()) as { durationSeconds: number };
    expect(summary.durationSeconds).toBeCloseTo(1.001, 6);
    const v = (await ffprobe(out, { count: true })).streams[0];
    expect(v.r_frame_rate).toBe('30000/1001');
    expect(v.nb_read_frames).toBe('30');
    expect(Number(v.duration)).toBeCloseTo(1.001, 3);
    const info = JSON.parse((await cli(['probe', out, '--json'])).stdout.toString()) as Awaited<ReturnType<typeof probeMp4>>;
    expect(info.tracks[0].frameRate).toMatchObject({ num: 30000, den: 1001 });
  });

  it('--audio muxes an MP3 soundtrack; probe reports the audio track as ffprobe does', async () => {
    const out = tmpFile('cli-audio.mp4');
    const r = await cli([
      'render', '--width', `${W}`, '--height', `${H}`, '--frames', '60', '--audio', tone(), '--audio-length', 'loop', '--layout', 'fragmented',
      '--out', out, '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.toString()) as { audio: { durationSeconds: number; sampleRate: number; channels: number } };
    expect(s.audio).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(s.audio.durationSeconds).toBeCloseTo(2, 1); // looped to the 2 s of video
    const p = await ffprobe(out);
    const a = p.streams.find((x) => x.codec_type === 'audio');
    expect(a).toMatchObject({ codec_name: 'mp3', sample_rate: '44100', channels: 2 });
    const info = JSON.parse((await cli(['probe', out, '--json'])).stdout.toString()) as Awaited<ReturnType<typeof probeMp4>>;
    const track = info.tracks.find((t) => t.type === 'audio');
    expect(track).toMatchObject({ codec: 'mp4a.6b', sampleRate: 44100, channels: 2 });
    expect(track?.samples).toBe((await ffprobePackets(out, 'a:0')).length);
    expect(track?.editList?.length).toBe(1); // gapless: skips encoder + decoder delay
    expect(track?.editList?.[0].mediaTime).toBeGreaterThan(529);

    const bad = await cli(['render', '--width', `${W}`, '--height', `${H}`, '--frames', '3', '--audio', CLI, '--out', tmpFile('cli-bad-audio.mp4')]);
    expect(bad.code).toBe(1);
    expect(expectOneErrorLine(bad)).toMatch(/^mp4forge: \[INVALID_MP3\] /);
  });

  it('--json prints exactly one JSON line on stdout and nothing on stderr', async () => {
    const out = tmpFile('cli-json.mp4');
    const r = await cli([
      'render', '--width', `${W}`, '--height', `${H}`, '--frames', '12', '--pattern', 'noise', '--seed', '7', '--qp', '30', '--speed', '10', '--out',
      out, '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const text = r.stdout.toString();
    expect(text.endsWith('\n') && text.indexOf('\n') === text.length - 1).toBe(true);
    const s = JSON.parse(text) as Record<string, unknown>;
    expect(s).toMatchObject({
      frames: 12,
      durationSeconds: 0.4,
      bytes: statSync(out).size,
      output: out,
      layout: 'faststart',
      videoEncoder: 'wasm',
      range: { start: 0, end: 12 },
    });
    expect(s.elapsedSeconds as number).toBeGreaterThan(0);
    expect(s.fps as number).toBeGreaterThan(0);
  });

  it('--seed draws the noise renderVideo draws with that seed; without --frames, 300 frames are rendered', async () => {
    const out = tmpFile('cli-seed.mp4');
    const size = ['--width', '64', '--height', '64', '--pattern', 'noise'];
    const r = await cli(['render', ...size, '--frames', '8', '--seed', '7', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const seven = (i: number, rgba: Uint8Array, w: number, h: number) => patterns.noise(rgba, w, h, i, 7);
    const api = await renderVideo({ width: 64, height: 64, fps: 30, frames: 8, scene: seven, output: { buffer: true } });
    expect(readFileSync(out).equals(api.data as Uint8Array)).toBe(true);
    const unseeded = tmpFile('cli-seed-0.mp4');
    expect((await cli(['render', ...size, '--frames', '8', '--out', unseeded])).code).toBe(0);
    expect(readFileSync(unseeded).equals(readFileSync(out))).toBe(false);

    const all = tmpFile('cli-default-frames.mp4');
    const d = await cli(['render', '--width', '64', '--height', '64', '--speed', '10', '--out', all, '--json']);
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout.toString())).toMatchObject({ frames: 300, durationSeconds: 10 });
    expect((await ffprobe(all, { count: true })).streams[0].nb_read_frames).toBe('300');
  });

  it('generated audio lasts as long as the video; an MP3 longer than the video is cut at its end unless --audio-length says otherwise', async () => {
    const audioSeconds = async (file: string) => Number((await ffprobe(file)).streams.find((x) => x.codec_type === 'audio')?.duration);
    // Generated audio is made as long as the video: here 2 frames at 1/2 fps, 4 s. (One MP3 frame is 1152 samples: 26 ms at 44.1 kHz.)
    const toned = tmpFile('cli-tone-length.mp4');
    const t = await cli(['render', '--width', '64', '--height', '64', '--fps', '1/2', '--frames', '2', '--tone', '440', '--out', toned, '--json']);
    expect(t.code, t.stderr).toBe(0);
    expect((JSON.parse(t.stdout.toString()) as { audio: { durationSeconds: number } }).audio.durationSeconds).toBeCloseTo(4, 3);
    expect(Math.abs((await audioSeconds(toned)) - 4)).toBeLessThan(0.03);

    // A 1 s MP3 under 15 frames at 30000/1001 (0.5005 s): cut at the video's end, or kept whole.
    const size = ['--width', '64', '--height', '64', '--fps', '30000/1001', '--frames', '15'];
    const cut = tmpFile('cli-mp3-cut.mp4');
    expect((await cli(['render', ...size, '--audio', tone(), '--out', cut])).code).toBe(0);
    expect(Math.abs((await audioSeconds(cut)) - 0.5005)).toBeLessThan(0.03);
    const full = tmpFile('cli-mp3-full.mp4');
    expect((await cli(['render', ...size, '--audio', tone(), '--audio-length', 'full', '--out', full])).code).toBe(0);
    expect(Math.abs((await audioSeconds(full)) - 1)).toBeLessThan(0.03);
  });

  it('--out - streams a file ffprobe accepts (faststart through a spool, and fragmented)', async () => {
    for (const layout of ['faststart', 'fragmented']) {
      const r = await cli(['render', '--width', `${W}`, '--height', `${H}`, '--frames', '30', '--layout', layout, '--out', '-']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^mp4forge: wrote stdout: 30 frames/);
      const file = tmpFile(`cli-stdout-${layout}.mp4`);
      writeFileSync(file, r.stdout);
      const boxes = topLevel(file);
      if (layout === 'faststart') expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      else expect(boxes).toContain('moof');
      expect((await ffprobe(file, { count: true })).streams[0].nb_read_frames).toBe('30');
      await expectBarsCounters(file, 30);
    }
  });
});

describe('mp4forge encode', () => {
  it('encodes rgba frames piped through stdin in chunks that split frames', async () => {
    const frames = barsFrames(24);
    const out = tmpFile('cli-encode-rgba.mp4');
    // 7 KiB, 100 KiB and 1 byte pieces: frames (60 KiB) start mid-chunk and span several chunks.
    const r = await cli(
      ['encode', '--width', `${W}`, '--height', `${H}`, '--pix-fmt', 'rgba', '--fps', '24', '--out', out, '--json'],
      rechunk(frames, [7 * 1024, 100 * 1024, 1]),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ frames: 24, durationSeconds: 1 });
    const v = (await ffprobe(out, { count: true })).streams[0];
    expect(v.nb_read_frames).toBe('24');
    expect(v.r_frame_rate).toBe('24/1');
    await expectBarsCounters(out, 24);
  });

  it('encodes rgb24 and yuv420p input, from stdin and from --input FILE', async () => {
    const rgba = barsFrames(20);
    const rgb24 = rgba.map((f) => {
      const o = new Uint8Array(W * H * 3);
      for (let p = 0, s = 0; p < o.length; p += 3, s += 4) o.set(f.subarray(s, s + 3), p);
      return o;
    });
    const yuv = rgba.map((f) => {
      const o = new Uint8Array((W * H * 3) / 2);
      toI420(f, 'rgba', W, H, o);
      return o;
    });
    for (const [fmt, frames] of [['rgb24', rgb24], ['yuv420p', yuv]] as const) {
      const out = tmpFile(`cli-encode-${fmt}.mp4`);
      const r = await cli(
        ['encode', '--width', `${W}`, '--height', `${H}`, '--pix-fmt', fmt, '--out', out, '--layout', 'progressive'],
        rechunk(frames, [5000, 65536]),
      );
      expect(r.code, `${fmt}: ${r.stderr}`).toBe(0);
      await expectBarsCounters(out, 20);

      const input = tmpFile(`cli-input-${fmt}.raw`);
      writeFileSync(input, Buffer.concat(frames));
      const outFile = tmpFile(`cli-encode-${fmt}-file.mp4`);
      const f = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--pix-fmt', fmt, '--input', input, '--out', outFile, '--json']);
      expect(f.code, f.stderr).toBe(0);
      expect(JSON.parse(f.stdout.toString())).toMatchObject({ frames: 20 });
      await expectBarsCounters(outFile, 20);

      // The file redirected to stdin: not a pipe, so read as a stream; the same bytes as --input.
      const outRedirect = tmpFile(`cli-encode-${fmt}-redirect.mp4`);
      const rr = await shell(`node "$CLI" encode --width ${W} --height ${H} --pix-fmt ${fmt} --out "$OUT" < "$IN"`, { CLI, OUT: outRedirect, IN: input });
      expect(rr.code, rr.stderr).toBe(0);
      expect(readFileSync(outRedirect).equals(readFileSync(outFile)), fmt).toBe(true);
    }
  });

  it('readRawFrames reads a pipe into a program started with --input-type=module (its reader thread inherits the flag)', async () => {
    const code = [
      `const { readRawFrames } = await import(${JSON.stringify(pathToFileURL(join(dirname(CLI), 'index.js')).href)});`,
      'const frames = readRawFrames(0, 10); const got = []; let r;',
      'while (!(r = await frames.next()).done) got.push(Buffer.from(r.value).toString());',
      'console.log(JSON.stringify({ got, read: r.value }));',
    ].join('\n');
    const r = await shell(`printf 'abcdefghijklmnopqrstuvwxyz0123456' | node --input-type=module -e "$CODE"`, { CODE: code });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual({ got: ['abcdefghij', 'klmnopqrst', 'uvwxyz0123'], read: { frames: 3, bytes: 33, leftover: 3 } });
  });

  it('a program that stops asking readRawFrames for frames still exits while the producer keeps the pipe open', async () => {
    const code = [
      `const { readRawFrames } = await import(${JSON.stringify(pathToFileURL(join(dirname(CLI), 'index.js')).href)});`,
      'const frames = readRawFrames(0, 10);',
      "console.log(Buffer.from((await frames.next()).value).toString()); // then never asks again",
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.write('abcdefghijklmno'); // a frame and a half; stdin stays open
    const exited = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 5000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    child.kill();
    child.stdin.destroy();
    expect(exited).toBe(0);
    expect(out).toBe('abcdefghij\n');
  });

  it.skipIf(!hasPython)('python3 gen.py | mp4forge encode', async () => {
    // Frame i is flat grey (20 + 9i); the decoded frames must come back in that order.
    const gen = ['import sys', `w, h = ${W}, ${H}`, 'for i in range(25):', '    sys.stdout.buffer.write(bytes([20 + 9 * i]) * (w * h * 3))'].join('\n');
    const out = tmpFile('cli-python.mp4');
    const r = await shell(`python3 -c "$GEN" | node "$CLI" encode --width ${W} --height ${H} --pix-fmt rgb24 --fps 25 --out "$OUT" --json`, {
      GEN: gen,
      CLI,
      OUT: out,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ frames: 25, durationSeconds: 1 });
    expect((await ffprobe(out, { count: true })).streams[0].nb_read_frames).toBe('25');
    const decoded = await decodeRgbFrames(out, W, H);
    expect(decoded).toHaveLength(25);
    decoded.forEach((f, i) => {
      let sum = 0;
      for (const b of f) sum += b;
      expect(Math.abs(sum / f.length - (20 + 9 * i)), `frame ${i}`).toBeLessThan(3);
    });
  });

  it('input cut inside a frame: keeps the whole frames, says so on stderr and in --json, exits 3 (every layout); less than one frame: exit 1, no file', async () => {
    for (const layout of ['faststart', 'progressive', 'fragmented']) {
      const out = tmpFile(`cli-truncated-${layout}.mp4`);
      const frames = barsFrames(3);
      const r = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--layout', layout, '--out', out], [...frames, new Uint8Array(1234)]);
      expect(r.code, r.stderr).toBe(3);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^mp4forge: wrote cli-truncated-${layout}\\.mp4: 3 frames, .* \\(${layout}\\)`));
      expect(lines[1]).toBe(
        `mp4forge: the input ended inside a frame: after 3 whole ${W}×${H} rgba frames (${W * H * 4} bytes each) came 1234 more bytes; ` +
          `kept the 3 whole frames in ${out} (${layout}) and dropped those 1234 bytes`,
      );
      expect(lines).toHaveLength(2);
      // The file holds the 3 whole frames, in order (ffmpeg decodes them; the bars counter reads back).
      const probe = await ffprobe(out, { count: true });
      expect(probe.streams[0].nb_read_frames).toBe('3');
      await expectBarsCounters(out, 3);

      const json = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--layout', layout, '--out', out, '--json'], [...frames, new Uint8Array(5)]);
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout.toString())).toMatchObject({ command: 'encode', output: out, layout, frames: 3, droppedBytes: 5 });
      expect(json.stderr).toMatch(/^mp4forge: the input ended inside a frame: .* kept the 3 whole frames in .* and dropped those 5 bytes\n$/);
    }
    // A whole number of frames: droppedBytes 0, exit 0.
    const whole = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--out', tmpFile('cli-whole.mp4'), '--json'], barsFrames(2));
    expect(whole.code).toBe(0);
    expect(JSON.parse(whole.stdout.toString())).toMatchObject({ frames: 2, droppedBytes: 0 });

    const out = tmpFile('cli-truncated.mp4');
    const r2 = await cli(['encode', '--width', '640', '--height', '480', '--out', out], new Uint8Array(1234));
    expect(r2.code).toBe(1);
    expect(expectOneErrorLine(r2)).toBe('mp4forge: the input ended after 1234 bytes, less than one 640×480 rgba frame (1228800 bytes): nothing to encode');
    expect(existsSync(out)).toBe(false);

    const empty = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--out', out], new Uint8Array(0));
    expect(empty.code).toBe(1);
    expect(expectOneErrorLine(empty)).toMatch(/the input was empty/);
    expect(existsSync(out)).toBe(false);
  });

  it('reports a missing --input file as a runtime error', async () => {
    const r = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--input', tmpFile('does-not-exist.raw'), '--out', tmpFile('x.mp4')]);
    expect(r.code).toBe(1);
    expect(expectOneErrorLine(r)).toMatch(/cannot read --input .*does-not-exist\.raw: ENOENT/);
  });

  it('refuses an --out that is the --input (or a link to it) before reading, and leaves the input as it was', async () => {
    const input = tmpFile('cli-same.raw');
    const bytes = Buffer.concat(barsFrames(2));
    writeFileSync(input, bytes);
    const link = tmpFile('cli-same-link.raw');
    symlinkSync(input, link);
    for (const out of [input, link]) {
      const r = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--input', input, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(expectOneErrorLine(r)).toBe(
        `mp4forge: [INVALID_OPTION] --out ${out} is the same file as the input (${input}): writing it would destroy the input; choose another output path`,
      );
      expect(readFileSync(input).equals(bytes)).toBe(true);
    }
  });

  it('with --workers, input that ends before one whole frame still exits 1 at once, writing nothing', async () => {
    const out = tmpFile('cli-workers-short.mp4');
    const r = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--workers', '2', '--out', out], new Uint8Array(100));
    expect(r.code, r.stderr).toBe(1);
    expect(expectOneErrorLine(r)).toMatch(/the input ended after 100 bytes, less than one/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dirname(out)).filter((f) => f.startsWith('.cli-workers-short.mp4.'))).toEqual([]);
  });
});

describe('on a terminal', () => {
  const ERASE = '\r\x1b[K';

  /** The progress lines drawn on the terminal (each begins by erasing the one before) and what came after the last erase. */
  function progress(tty: string): { lines: string[]; after: string } {
    const parts = tty.split(ERASE);
    expect(parts[0]).toBe(''); // the first thing written is a progress line
    return { lines: parts.slice(1, -1), after: parts.at(-1) as string };
  }

  it('draws a progress line counting to the total, erased before the summary (render, and encode --input ending inside a frame)', async () => {
    const r = await onTerminal(['render', '--width', '64', '--height', '64', '--frames', '40', '--out', tmpFile('tty-render.mp4')]);
    expect(r.code, r.stdout.toString()).toBe(0);
    const drawn = progress(r.stdout.toString());
    expect(drawn.lines.length).toBeGreaterThan(0);
    for (const line of drawn.lines) expect(line).toMatch(/^\[[#·]+\] +\d+\/40 +\d+% /);
    expect(drawn.lines.at(-1)).toMatch(/^\[#+\] {2}40\/40 {2}100% /);
    expect(drawn.after).toMatch(/^mp4forge: wrote tty-render\.mp4: 40 frames, [^\r\n]*\r\n$/);

    // A regular file's size gives the total: its whole frames (here 3, and 1234 bytes that end it).
    const input = tmpFile('tty-input.raw');
    writeFileSync(input, Buffer.concat([...barsFrames(3, 64, 64), new Uint8Array(1234)]));
    const e = await onTerminal(['encode', '--width', '64', '--height', '64', '--input', input, '--out', tmpFile('tty-encode.mp4')]);
    expect(e.code, e.stdout.toString()).toBe(3);
    const fromFile = progress(e.stdout.toString());
    for (const line of fromFile.lines) expect(line).toMatch(/^\[[#·]+\] +\d\/3 +\d+% /);
    expect(fromFile.lines.at(-1)).toMatch(/^\[#+\] {2}3\/3 {2}100% /);
    expect(fromFile.after).toMatch(/^mp4forge: wrote tty-encode\.mp4: 3 frames, [^\r\n]*\r\nmp4forge: the input ended inside a frame: [^\r\n]* dropped those 1234 bytes\r\n$/);
  });

  it('refuses to write an MP4 or a segment to the terminal, and to read frames or a file from it', async () => {
    const redirect = 'redirect stdout (--out - > file) or give --out FILE';
    const cases: [string[], string][] = [
      [['render', '--width', '64', '--height', '64', '--frames', '3', '--out', '-'], `refusing to write an MP4 to a terminal; ${redirect}`],
      [['render', '--frames', '32', '--gop', '8', '--segment', '1/2', '--out', '-'], `refusing to write the segment to a terminal; ${redirect}`],
      [
        ['encode', '--width', '64', '--height', '64', '--out', tmpFile('tty-stdin.mp4')],
        'no input: stdin is a terminal; pipe raw frames in (python gen.py | mp4forge encode ...) or give --input FILE',
      ],
      [['probe', '-'], 'probe - reads stdin, which is a terminal; pipe a file in (… --out - | mp4forge probe -)'],
    ];
    for (const [args, message] of cases) {
      const r = await onTerminal(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout.toString()).toBe(`mp4forge: ${message}\r\n`);
    }
    expect(existsSync(tmpFile('tty-stdin.mp4'))).toBe(false);
  });
});

describe('scene modules (--scene)', () => {
  it('ES module syntax in a .js file of a CommonJS package: one line that says what to do, exit 1, before any worker starts; the fixes work', async () => {
    const dir = tmpFile('cjs-project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0' })); // what `npm init -y` writes: no "type"
    writeFileSync(join(dir, 'scene.js'), 'export function draw(i, rgba) { rgba.fill(i % 256); }\n');
    const out = join(dir, 'x.mp4');
    for (const workers of ['auto', '0']) {
      const r = await cli(['render', '--scene', join(dir, 'scene.js'), '--workers', workers, '--width', '64', '--height', '64', '--frames', '4', '--out', out]);
      expect(r.code, r.stderr).toBe(1);
      expect(expectOneErrorLine(r)).toBe(
        `mp4forge: [INVALID_OPTION] scene ${join(dir, 'scene.js')} is an ES module (export/import), but Node loads .js files there as CommonJS ` +
          `(${join(dir, 'package.json')} has no "type": "module"): rename it to scene.mjs, or add "type": "module" to that package.json`,
      );
      expect(existsSync(out)).toBe(false);
    }
    // The library says the same, with the compile error as its cause.
    const err = await renderVideo({ width: 64, height: 64, fps: 30, frames: 2, scene: pathToFileURL(join(dir, 'scene.js')), output: { buffer: true } }).then(
      () => null,
      (e: unknown) => e as Mp4ForgeError,
    );
    expect(err).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'scene' } });
    expect(err?.cause).toBeInstanceOf(SyntaxError);

    // Either fix works, and so does a CommonJS scene in that package.
    cpSync(join(dir, 'scene.js'), join(dir, 'scene.mjs'));
    writeFileSync(join(dir, 'cjs-scene.js'), 'module.exports = { draw(i, rgba) { rgba.fill(i % 256); } };\n');
    for (const scene of ['scene.mjs', 'cjs-scene.js']) {
      const ok = await cli(['render', '--scene', join(dir, scene), '--width', '64', '--height', '64', '--frames', '4', '--out', out]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toMatch(/^mp4forge: wrote x\.mp4: 4 frames/);
      expect(ok.stderr.split('\n').filter(Boolean)).toHaveLength(1); // no warning from Node, nor one per worker
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', type: 'module' }));
    const typed = await cli(['render', '--scene', join(dir, 'scene.js'), '--width', '64', '--height', '64', '--frames', '4', '--out', out]);
    expect(typed.code, typed.stderr).toBe(0);
  });

  it('a scene that cannot be imported (a syntax error, a throw at import) or found: one line, exit 1, whatever the workers', async () => {
    const bad = tmpFile('bad-scene.mjs');
    writeFileSync(bad, 'export function draw(i, rgba) {\n  rgba.fill(i) oops;\n}\n');
    const throws = tmpFile('throws-scene.mjs');
    writeFileSync(throws, 'throw new Error("no GPU here");\n');
    const cases: [string, RegExp][] = [
      [bad, /^mp4forge: \[INVALID_OPTION\] scene file:\/\/\S+bad-scene\.mjs could not be imported: Unexpected identifier 'oops'$/],
      [throws, /^mp4forge: \[INVALID_OPTION\] scene file:\/\/\S+throws-scene\.mjs could not be imported: no GPU here$/],
      [tmpFile('missing-scene.mjs'), /^mp4forge: cannot read --scene \S+missing-scene\.mjs: ENOENT/],
    ];
    for (const [scene, message] of cases) {
      for (const workers of ['2', '0']) {
        const size = ['--width', '64', '--height', '64', '--frames', '4'];
        const r = await cli(['render', '--scene', scene, '--workers', workers, ...size, '--out', tmpFile('never.mp4')]);
        expect(r.code, r.stderr).toBe(1);
        expect(expectOneErrorLine(r)).toMatch(message);
      }
    }
  });
});

describe('usage errors exit 2 with one line', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'odd width (library validation)',
      ['render', '--width', '161', '--height', '96', '--out', 'x.mp4'],
      /^mp4forge: \[INVALID_DIMENSIONS\] --width must be even .*got 161; try 162$/,
    ],
    ['qp out of range', ['render', '--qp', '52', '--out', 'x.mp4'], /^mp4forge: \[INVALID_OPTION\] --qp must be an integer from 0 to 51, got 52$/],
    [
      'qp below what h264-mp4-encoder takes',
      ['render', '--qp', '5', '--encoder', 'h264-mp4-encoder', '--out', 'x.mp4'],
      /^mp4forge: \[INVALID_OPTION\] --qp must be an integer from 10 to 51 with h264-mp4-encoder, got 5$/,
    ],
    [
      'fps with a decimal point, in command-line terms',
      ['render', '--fps', '29.97', '--out', 'x.mp4'],
      /^mp4forge: \[INVALID_OPTION\] --fps must be a whole number like 30 or a fraction like 30000\/1001 \(29\.97 fps\), got "29\.97"$/,
    ],
    ['fps out of range', ['render', '--fps', '1000', '--out', 'x.mp4'], /^mp4forge: \[INVALID_OPTION\] --fps must be between 0\.1 and 240, got "1000\/1"$/],
    ['speed out of range', ['render', '--speed', '11', '--out', 'x.mp4'], /^mp4forge: \[INVALID_OPTION\] --speed must be an integer from 0 to 10, got 11$/],
    ['gop out of range', ['render', '--gop', '0', '--out', 'x.mp4'], /^mp4forge: \[INVALID_OPTION\] --gop must be an integer from 1 to 1000, got 0$/],
    [
      'unknown flag',
      ['render', '--widht', '160', '--out', 'x.mp4'],
      /^mp4forge: unknown option --widht for 'render' \(did you mean --width\?\); valid options: --width, --height, .*--out/,
    ],
    ['unknown command', ['rendr'], /^mp4forge: unknown command 'rendr' \(did you mean render\?\); commands: render, encode, probe/],
    ['unknown command, nothing close', ['bake'], /^mp4forge: unknown command 'bake'; commands: render, encode, probe/],
    ['missing value', ['render', '--out'], /^mp4forge: --out needs a value/],
    ['value that is an option', ['render', '--out', '--json'], /^mp4forge: --out needs a value/],
    ['non-numeric number', ['render', '--width', 'wide', '--out', 'x.mp4'], /^mp4forge: --width expects an integer, got 'wide'$/],
    [
      'bad choice',
      ['render', '--layout', 'moov-last', '--out', 'x.mp4'],
      /^mp4forge: --layout must be one of faststart, progressive, fragmented; got 'moov-last'$/,
    ],
    ['repeated option', ['render', '--frames', '1', '--frames', '2', '--out', 'x.mp4'], /^mp4forge: --frames was given more than once$/],
    ['missing required', ['encode', '--width', '160', '--out', 'x.mp4'], /^mp4forge: --height is required/],
    ['stray argument', ['render', 'extra', '--out', 'x.mp4'], /^mp4forge: unexpected argument 'extra'/],
    ['seed without noise', ['render', '--seed', '3', '--out', 'x.mp4'], /^mp4forge: --seed only applies to --pattern noise/],
    ['json with stdout', ['render', '--out', '-', '--json'], /^mp4forge: --json cannot be used with --out -/],
    ['qp with kbps', ['render', '--qp', '20', '--kbps', '500', '--out', 'x.mp4'], /^mp4forge: \[INVALID_OPTION\] --qp and --kbps are exclusive/],
    ['odd yuv420p size', ['encode', '--width', '15', '--height', '16', '--pix-fmt', 'yuv420p', '--out', 'x.mp4'], /^mp4forge: \[INVALID_DIMENSIONS\]/],
    ['probe without file', ['probe'], /^mp4forge: missing FILE/],
    ['empty value', ['render', '--out=', '--frames', '3'], /^mp4forge: --out needs a non-empty value$/],
    ['--audio-kbps with an MP3', ['render', '--audio', 'song.mp3', '--audio-kbps', '64', '--out', 'x.mp4'], /^mp4forge: --audio-kbps applies to generated audio/],
    [
      '--audio-length with generated audio',
      ['encode', '--width', '16', '--height', '16', '--melody', '--audio-length', 'full', '--out', 'x.mp4'],
      /^mp4forge: --audio-length applies to an --audio MP3; generated audio \(--melody, --tone\) lasts as long as the video$/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(expectOneErrorLine(r)).toMatch(message);
      expect(r.stdout.length).toBe(0);
    });
  }

  it('does not create the output file when the options are invalid', async () => {
    const out = tmpFile('cli-never.mp4');
    const r = await cli(['render', '--width', '161', '--height', '96', '--out', out]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('MP4FORGE_DEBUG=1 adds the stack trace', async () => {
    const r = await cli(['render', '--width', '161', '--height', '96', '--out', 'x.mp4'], undefined, { MP4FORGE_DEBUG: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mp4forge: \[INVALID_DIMENSIONS\]/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(`${PKG.version}\n`);
  });

  it('--help lists the commands; <cmd> --help lists its options; bare mp4forge is a usage error', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['render', 'encode', 'probe']) expect(top.stdout.toString()).toContain(`  ${c}`);
    const enc = await cli(['encode', '--help']);
    expect(enc.code).toBe(0);
    for (const o of ['--width', '--height', '--pix-fmt', '--fps', '--input', '--out', '--layout', '--qp', '--kbps', '--speed', '--gop', '--json']) {
      expect(enc.stdout.toString()).toContain(o);
    }
    const topic = await cli(['help', 'encode']);
    expect(topic.code).toBe(0);
    expect(topic.stdout.toString()).toBe(`${commandHelp(encodeSpec)}\n`);
    // --help wins over otherwise invalid arguments
    expect((await cli(['render', '--bogus', '--help'])).code).toBe(0);
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout.length).toBe(0);
    expect(bare.stderr).toContain('Usage: mp4forge <command>');
  });
});

describe('mp4forge probe', () => {
  it('describes an MP3 found by content, not by name', async () => {
    const mp3 = tone();
    const p = (await ffprobe(mp3)).streams[0];
    const r = await cli(['probe', mp3, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.toString()) as { kind: string; format: { sampleRate: number; channels: number; layer: number } };
    expect(info.kind).toBe('mp3');
    expect(info.format).toMatchObject({ sampleRate: Number(p.sample_rate), channels: p.channels, layer: 3 });
    const text = await cli(['probe', mp3]);
    expect(text.stdout.toString()).toMatch(/MPEG-1 Layer III, 44100 Hz, stereo/);
  });

  it('reads an ffmpeg-made MP4 with B-frames, audio and edit lists like ffprobe does', async () => {
    const file = tmpFile('cli-ffmpeg.mp4');
    ffmpegSync([
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=duration=2',
      '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '25', '-bf', '2', '-c:a', 'aac', '-movflags', '+faststart', file,
    ]);
    const r = await cli(['probe', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.toString()) as Awaited<ReturnType<typeof probeMp4>>;
    expect(info.layout).toBe('faststart');
    const video = info.tracks.find((t) => t.type === 'video');
    const audio = info.tracks.find((t) => t.type === 'audio');
    const v = await keyPackets(file);
    expect(video).toMatchObject({ width: 320, height: 240, samples: v.total, keyframes: v.keys, frameRate: { num: 25, den: 1 } });
    expect(video?.codec).toMatch(/^avc1\.64/); // High profile
    expect(video?.editList?.[0].mediaTime).toBeGreaterThan(0); // B-frame delay
    expect(audio?.codec).toBe('mp4a.40.2');
    expect(audio?.samples).toBe((await ffprobePackets(file, 'a:0')).length);
  });

  it('probe - reads a pipe: mp4forge render --out - | mp4forge probe -', async () => {
    for (const layout of ['faststart', 'progressive', 'fragmented']) {
      const r = await shell(
        `node "$CLI" render --width ${W} --height ${H} --frames 45 --layout ${layout} --gop 15 --out - 2>/dev/null | node "$CLI" probe - --json`,
        { CLI },
      );
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout.toString()) as Awaited<ReturnType<typeof probeMp4>>;
      expect(info).toMatchObject({ layout, tracks: [{ samples: 45, keyframes: 3 }] });
    }
    const mp3 = await shell('cat "$MP3" | node "$CLI" probe -', { CLI, MP3: tone() });
    expect(mp3.code, mp3.stderr).toBe(0);
    expect(mp3.stdout.toString()).toMatch(/^stdin: MPEG-1 Layer III, 44100 Hz, stereo/);
  });

  it('probe FIFO reads a named pipe as it reads stdin', async () => {
    const fifo = tmpFile('cli-probe.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await shell('cat "$MP4" > "$FIFO" & node "$CLI" probe "$FIFO" --json', { CLI, MP4: await rendered('progressive'), FIFO: fifo });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ layout: 'progressive', tracks: [{ samples: 30, keyframes: 3 }] });
  });

  it('fails with one line on a truncated MP4 and on a file that is neither MP4 nor MP3', async () => {
    const good = readFileSync(await rendered('progressive'));
    const cut = tmpFile('cli-cut.mp4');
    writeFileSync(cut, good.subarray(0, good.length - 100));
    const r = await cli(['probe', cut]);
    expect(r.code).toBe(1);
    expect(expectOneErrorLine(r)).toMatch(/^mp4forge: \[INVALID_MP4\] box 'moov' at offset \d+ declares \d+ bytes but the file ends after \d+/);

    const png = tmpFile('cli-image.mp4');
    writeFileSync(png, Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(200)]));
    const p = await cli(['probe', png]);
    expect(p.code).toBe(1);
    expect(expectOneErrorLine(p)).toMatch(/is neither an MP4 .* nor an MP3: .*PNG/);
  });
});

describe('interrupting', () => {
  async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The temporary files mp4forge writes beside `out` (`.NAME.mp4forge-PID-RAND.tmp`). */
  function temps(out: string): string[] {
    const name = basename(out);
    return readdirSync(dirname(out)).filter((f) => f.startsWith(`.${name}.mp4forge-`) && f.endsWith('.tmp'));
  }

  /**
   * Starts a long CLI run; resolves once its temporary output file has data. `done` is the exit
   * status as a shell sees it (128 + n when the process ended by signal n: a second signal that
   * lands while Node is exiting, after the cleanup and the message, ends it by that signal).
   */
  async function startLong(args: string[], out: string): Promise<{ child: ChildProcess; done: Promise<number | null>; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) =>
      child.on('close', (code, signal) => resolve(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : code)),
    );
    await waitFor(() => temps(out).some((t) => statSync(join(dirname(out), t), { throwIfNoEntry: false })?.size));
    return { child, done, stderr: () => stderr };
  }

  it('SIGINT during render exits 130, writes nothing and leaves no temporary file', async () => {
    const out = tmpFile('cli-sigint.mp4');
    const run = await startLong(['render', '--width', '64', '--height', '64', '--frames', '10000000'], out);
    expect(existsSync(out)).toBe(false); // the MP4 is written beside it, under a temporary name
    run.child.kill('SIGINT');
    expect(await run.done).toBe(130);
    expect(run.stderr()).toBe(`mp4forge: interrupted by SIGINT; nothing was written to ${out}\n`);
    expect(existsSync(out)).toBe(false);
    expect(temps(out)).toEqual([]);
  });

  it('an existing file survives Ctrl-C in every layout, and a failed run; only a complete file replaces it', async () => {
    const out = tmpFile('cli-precious.mp4');
    writeFileSync(out, 'precious bytes');
    for (const layout of ['faststart', 'progressive', 'fragmented']) {
      const run = await startLong(['render', '--width', '160', '--height', '96', '--frames', '10000000', '--gop', '8', '--layout', layout], out);
      // For fragmented, let whole fragments be written first: they still must not replace the file.
      if (layout === 'fragmented') await new Promise((r) => setTimeout(r, 1500));
      run.child.kill('SIGINT');
      expect(await run.done, layout).toBe(130);
      expect(run.stderr()).toBe(`mp4forge: interrupted by SIGINT; ${out} was left as it was\n`);
      expect(readFileSync(out, 'utf8'), layout).toBe('precious bytes');
      expect(temps(out)).toEqual([]);
    }
    // A run that fails (stdin ends before one whole frame) leaves it too.
    const failed = await cli(['encode', '--width', `${W}`, '--height', `${H}`, '--out', out], new Uint8Array(100));
    expect(failed.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious bytes');
    expect(temps(out)).toEqual([]);
    // A run that succeeds replaces it with a complete file, keeping its permissions.
    chmodSync(out, 0o640);
    const ok = await cli(['render', '--width', `${W}`, '--height', `${H}`, '--frames', '3', '--out', out]);
    expect(ok.code).toBe(0);
    expect(topLevel(out)).toEqual(['ftyp', 'moov', 'mdat']);
    expect(statSync(out).mode & 0o777).toBe(0o640);
  });

  it('fragmented, no file before: Ctrl-C keeps the complete fragments at the path, and says so', async () => {
    const out = tmpFile('cli-sigint-fragments.mp4');
    const run = await startLong(['render', '--width', '160', '--height', '96', '--frames', '10000000', '--gop', '8', '--layout', 'fragmented'], out);
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGINT');
    expect(await run.done).toBe(130);
    const said = new RegExp(`^mp4forge: interrupted by SIGINT; ${out.replace(/[.]/g, '\\.')} keeps the complete fragments written \\(([\\d.]+) (B|kB|MB|GB)\\)\\n$`).exec(
      run.stderr(),
    );
    expect(said, run.stderr()).not.toBeNull();
    const [, size, unitName] = said as RegExpExecArray;
    // the size it names is the file's (to its rounding), in whatever unit it has reached
    const unit = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[unitName as 'B' | 'kB' | 'MB' | 'GB'];
    const rounding = unit === 1 ? 0 : unit === 1e3 ? 0.05 * unit : 0.005 * unit; // one decimal in kB, two above
    expect(Math.abs(Number(size) * unit - statSync(out).size)).toBeLessThanOrEqual(rounding + 1e-6 * unit);
    expect(temps(out)).toEqual([]);
    const probe = await ffprobe(out, { count: true });
    const frames = Number(probe.streams[0].nb_read_frames);
    expect(frames).toBeGreaterThan(0);
    expect(frames % 8).toBe(0); // whole GOPs: each fragment is one
    expect(await ffmpegDecodeCheck(out)).toEqual({ ok: true, stderr: '' });
  });

  it('a second SIGINT while stopping exits 130 at once with a message, and still leaves no file (with workers and an existing file too)', async () => {
    for (const existing of [false, true]) {
      const out = tmpFile(`cli-dbl-${existing}.mp4`);
      if (existing) writeFileSync(out, 'old');
      const run = await startLong(['render', '--width', '640', '--height', '360', '--frames', '10000000', '--workers', '2'], out);
      run.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 15));
      run.child.kill('SIGINT');
      expect(await run.done).toBe(130);
      const note = existing ? `${out} was left as it was` : `nothing was written to ${out}`;
      // Whichever comes first: the normal cleanup, or the second signal's (the temporary file removed at once).
      expect([
        `mp4forge: interrupted by SIGINT; ${note}\n`,
        'mp4forge: interrupted again by SIGINT: stopping at once; removed the unfinished output (1 temporary file)\n',
        'mp4forge: interrupted again by SIGINT: stopping at once; nothing to remove\n',
      ]).toContain(run.stderr());
      expect(temps(out)).toEqual([]);
      if (existing) expect(readFileSync(out, 'utf8')).toBe('old');
      else expect(existsSync(out)).toBe(false);
    }
  });

  it('SIGTERM and SIGINT at once: the exit status is that of the signal handled first, on either path', async () => {
    const out = tmpFile('cli-two-signals.mp4');
    const run = await startLong(['render', '--width', '64', '--height', '64', '--frames', '10000000'], out);
    run.child.kill('SIGTERM');
    run.child.kill('SIGINT'); // delivered in either order; the second usually lands before the first is handled
    const code = await run.done;
    const stderr = run.stderr();
    const again = /^mp4forge: interrupted again by (SIGINT|SIGTERM): stopping at once; (removed the unfinished output \(1 temporary file\)|nothing to remove)\n$/.exec(stderr);
    const once = new RegExp(`^mp4forge: interrupted by (SIGINT|SIGTERM); nothing was written to ${out.replace(/[.]/g, '\\.')}\n$`).exec(stderr);
    const first = again ? (again[1] === 'SIGINT' ? 'SIGTERM' : 'SIGINT') : once?.[1];
    expect(first, stderr).toBeDefined();
    expect(code, stderr).toBe(first === 'SIGINT' ? 130 : 143);
    expect(existsSync(out)).toBe(false);
    expect(temps(out)).toEqual([]);
  });

  it('SIGINT while encode waits for a silent producer exits 130 promptly', async () => {
    const out = tmpFile('cli-sigint-encode.mp4');
    const child = spawn(process.execPath, [CLI, 'encode', '--width', `${W}`, '--height', `${H}`, '--out', out], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write(Buffer.concat(barsFrames(2)));
    await waitFor(() => temps(out).length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    child.kill('SIGINT'); // stdin stays open: the CLI must not wait for it
    expect(await done).toBe(130);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(stderr).toBe(`mp4forge: interrupted by SIGINT; nothing was written to ${out}\n`);
    expect(existsSync(out)).toBe(false);
    expect(temps(out)).toEqual([]);
    child.stdin.destroy();
  });

  it('SIGKILL leaves at most one clearly named temporary file beside the target, and nothing in TMPDIR (faststart to a pipe spools there)', async () => {
    const out = tmpFile('cli-sigkill.mp4');
    writeFileSync(out, 'old');
    const run = await startLong(['render', '--width', '160', '--height', '96', '--frames', '10000000'], out);
    run.child.kill('SIGKILL');
    await run.done;
    expect(readFileSync(out, 'utf8')).toBe('old');
    const left = temps(out);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^\\.cli-sigkill\\.mp4\\.mp4forge-${run.child.pid}-[0-9a-f]{8}\\.tmp$`));
    rmSync(join(dirname(out), left[0]));

    // `--out -` with faststart spools the media to TMPDIR: the spool has no name from the start.
    const spoolDir = mkdtempSync(join(tmpdir(), 'spool-'));
    const child = spawn(process.execPath, [CLI, 'render', '--width', '160', '--height', '96', '--frames', '10000000', '--out', '-'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, TMPDIR: spoolDir },
    });
    const closed = new Promise((r) => child.on('close', r));
    child.stdout.resume();
    await new Promise((r) => setTimeout(r, 1500));
    expect(readdirSync(spoolDir)).toEqual([]);
    child.kill('SIGKILL');
    await closed;
    expect(readdirSync(spoolDir)).toEqual([]);
    rmSync(spoolDir, { recursive: true });
  });
});

// In-process unit tests of the pieces the CLI is made of.

describe('ForwardSource', () => {
  it('reads forwards across chunks, skips without holding, and hands over the rest', async () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < 100; o += 7) yield data.subarray(o, Math.min(100, o + 7));
    }
    const src = new ForwardSource(chunks());
    expect([...(await src.read(0, 10))]).toEqual([...data.subarray(0, 10)]);
    expect([...(await src.read(0, 4))]).toEqual([0, 1, 2, 3]); // re-read from the last start
    expect([...(await src.read(5, 3))]).toEqual([5, 6, 7]);
    expect([...(await src.read(40, 2))]).toEqual([40, 41]); // skip
    await expect(src.read(39, 1)).rejects.toThrow(/already passed/);
    expect([...(await src.read(98, 10))]).toEqual([98, 99]); // short at the end
    expect((await src.read(200, 4)).length).toBe(0);
    const again = new ForwardSource(chunks());
    await again.read(0, 64);
    const rest: number[] = [];
    for await (const c of again.chunksFrom(0)) rest.push(...c);
    expect(rest).toEqual([...data]);
  });
});

describe('parseArgs', () => {
  const spec: CommandSpec = {
    name: 't',
    summary: 's',
    usage: 'u',
    options: [
      { name: 'n', kind: { type: 'int', min: 1 }, help: 'n' },
      { name: 'x', kind: { type: 'number' }, help: 'x' },
      { name: 'out', short: 'o', kind: { type: 'string' }, help: 'o' },
      { name: 'v', kind: { type: 'flag' }, help: 'v' },
    ],
  };

  it('accepts --k v, --k=v, short aliases, negative numbers and "-"', () => {
    const p = parseArgs({ ...spec, options: [...spec.options, { name: 'seed', kind: { type: 'int' }, help: 's' }] }, [
      '--n=3', '-o', '-', '--x', '1.5', '--v', '--seed', '-4',
    ]);
    expect(Object.fromEntries(p.values)).toEqual({ n: 3, out: '-', x: 1.5, v: true, seed: -4 });
  });

  it('rejects what it does not understand', () => {
    expect(() => parseArgs(spec, ['--n', '0'])).toThrow(UsageError);
    expect(() => parseArgs(spec, ['--n', '0'])).toThrow(/^--n must be at least 1, got 0$/);
    expect(() => parseArgs(spec, ['--n', '1.5'])).toThrow(/--n expects an integer, got '1.5'/);
    expect(() => parseArgs(spec, ['--x', 'abc'])).toThrow(/--x expects a number, got 'abc'/);
    expect(() => parseArgs(spec, ['--v=1'])).toThrow(/--v is a flag and takes no value/);
    expect(() => parseArgs(spec, ['-q'])).toThrow(/unknown option -q for 't'; valid options: --n, --x, --out, --v/);
    expect(() => parseArgs(spec, ['--x', ''])).toThrow(/^--x expects a number, got ''$/);
    expect(() => parseArgs(spec, ['--x= '])).toThrow(/^--x expects a number, got ' '$/);
    expect(() => parseArgs(spec, ['--out='])).toThrow(/^--out needs a non-empty value$/);
  });

  it('takes the bounds themselves; after --, a --help is an argument, not a request for help', () => {
    expect(parseArgs(spec, ['--n', '1']).values.get('n')).toBe(1);
    expect(parseArgs(spec, ['--x', '0']).values.get('x')).toBe(0);
    expect(wantsHelp(['--n', '2', '--help'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['--', '-h'])).toBe(false);
  });

  it('generates help from the spec', () => {
    const help = commandHelp(renderSpec);
    expect(help).toMatch(/--pattern NAME\s+What to draw\. \(bars\|noise\|gradient\|plasma\|solid\) \[default: bars\]/);
    expect(help).toMatch(/-o, --out FILE\s+.*\[required\]/);
  });
});

describe('progress line', () => {
  const p = (frames: number) => ({ frames, durationSeconds: frames / 30, bytes: frames * 10_000, elapsedSeconds: frames / 50, fps: 50 });

  it('shows frames/total, percent, fps, MB and ETA, within the terminal width', () => {
    const line = formatProgress(p(120), 300, 100);
    expect(line).toMatch(/^\[#+·+\] {2}120\/300 {3}40% {2}50\.0 fps {2}1\.20 MB {2}ETA 0:04$/);
    expect(line.length).toBeLessThanOrEqual(99);
    expect(formatProgress(p(120), 300, 30).length).toBeLessThanOrEqual(29);
    expect(formatProgress(p(7), undefined, 80)).toBe('7 frames  0.23 s  50.0 fps  0.07 MB');
    expect(clock(3725)).toBe('1:02:05');
    // More frames than the total (an --input file that grew while it was read): a full bar, no error.
    expect(formatProgress(p(400), 300, 80)).toMatch(/^\[#+\] {2}400\/300 {2}100% {2}50\.0 fps {2}4\.00 MB {2}ETA 0:00$/);
  });

  it('redraws at most every 100 ms, always draws the last frame, and clears the line', () => {
    let now = 0;
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (s) => writes.push(s), columns: 80 }, 10, () => now);
    for (let f = 1; f <= 10; f++) {
      now += 30;
      bar.update(p(f));
    }
    // t=30 draws, then 130, 250 (frames 1, 5, 9) — and frame 10 because it is the last.
    expect(writes.map((w) => /(\d+)\/10/.exec(w)?.[1])).toEqual(['1', '5', '9', '10']);
    bar.clear();
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });
});

describe('probeMp4 on bytes', () => {
  it('summarizes repeated boxes and rejects non-MP4 input', async () => {
    expect(summarizeBoxes(['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat', 'mfra'])).toBe('ftyp, moov, 2 × (moof, mdat), mfra');
    expect(summarizeBoxes(['ftyp', 'mdat', 'mdat', 'moov'])).toBe('ftyp, 2 × mdat, moov');
    const bytes = new Uint8Array(readFileSync(await rendered('fragmented')));
    const r = await probeMp4(bytesSource(bytes));
    expect(r.fragments).toBe(r.boxes.filter((b) => b.type === 'moof').length);
    await expect(probeMp4(bytesSource(new TextEncoder().encode('hello world, not a box')))).rejects.toThrow(/INVALID_MP4|not a four-character code|declares/);
  });
});
