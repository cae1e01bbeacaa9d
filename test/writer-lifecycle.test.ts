// The writer's state machine and the frame pipeline around it, where the tenth mutation pass found
// them unchecked: calls after finish() or during it, an abort between two drawn frames, ImageData
// that does not fit, failures while nobody calls the writer (a signal during creation, a worker),
// an output that cannot be opened (workers stopped, a pool's threads given back), progress as
// reported, the frame loop's turn for timers, the window of frames in flight with workers, the
// soundtrack let go of and pumped along with the video, and renderVideo's scenes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  audio as generated, createMp4Writer, createWorkerPool, encodePcmToMp3, renderSegment, renderVideo, type Mp4WriterOptions, type Progress,
} from '../src/index.js';
import { drawPattern } from '../src/generate/patterns.js';
import { liveWorkerCount, spawnNodeWorker } from '../src/pool/node-transport.js';
import type { WorkerTransport } from '../src/pool/transport.js';
import { WorkerPool } from '../src/pool/worker-pool.js';
import { FFMPEG, ffprobe, ffprobePackets, run } from './helpers/oracles.js';
import { rejection } from './helpers/rejection.js';
import { tmpFile } from './helpers/render.js';

const W = 160;
const H = 96;
const base: Mp4WriterOptions = { width: W, height: H, fps: 30, output: { buffer: true }, video: { gop: 8 } };

function bars(i: number): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  drawPattern('bars', rgba, W, H, i);
  return rgba;
}

/** Frames ffprobe counts in `file`'s video stream. */
async function frameCount(file: string): Promise<number> {
  return Number((await ffprobe(file, { count: true })).streams[0].nb_read_frames);
}

describe('after finish()', () => {
  it('abort(), a signal fired and abort() again leave the finished file as it is; later calls are WRITER_CLOSED, not ABORTED', async () => {
    const file = tmpFile('finished.mp4');
    const ac = new AbortController();
    const w = await createMp4Writer({ ...base, output: file, signal: ac.signal });
    for (let i = 0; i < 10; i++) await w.addFrame(bars(i));
    const result = await w.finish();
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(result.bytes);
    ac.abort(new Error('too late'));
    await w.abort(new Error('also too late'));
    const err = await rejection(w.addFrame(bars(10)));
    expect(err.code).toBe('WRITER_CLOSED');
    expect(err.message).toBe('addFrame() was called after finish(); create a new writer for another file');
    expect((await rejection(w.finish())).code).toBe('WRITER_CLOSED');
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(await frameCount(file)).toBe(10);
  });

  it('a frame added while finish() is running is refused with WRITER_CLOSED, and the file holds the frames added before', async () => {
    const file = tmpFile('finishing.mp4');
    const w = await createMp4Writer({ ...base, output: file });
    for (let i = 0; i < 5; i++) await w.addFrame(bars(i));
    const finishing = w.finish();
    const err = await rejection(w.addFrame(bars(5)));
    expect(err.code).toBe('WRITER_CLOSED');
    expect((await finishing).frames).toBe(5);
    expect(w.frames).toBe(5);
    expect(await frameCount(file)).toBe(5);
  });
});

describe('a writer aborted while addFrames draws', () => {
  it('does not call the frame callback again once its signal fired', async () => {
    const ac = new AbortController();
    const drawn: number[] = [];
    const w = await createMp4Writer({
      ...base,
      signal: ac.signal,
      // Called as each frame reaches the output: the abort comes between two frames.
      onProgress: (p) => {
        if (p.frames === 4) ac.abort(new Error('enough'));
      },
    });
    const err = await rejection(w.addFrames(20, (i, rgba) => {
      drawn.push(i);
      rgba.fill(i);
    }));
    expect(err.code).toBe('ABORTED');
    expect(drawn).toEqual([0, 1, 2, 3]);
  });
});

describe('ImageData-like frames that do not fit the writer', () => {
  it('a wrong height (or width) alone, a non-RGBA writer and too few bytes are INVALID_FRAME with the frame index; the writer keeps working', async () => {
    const w = await createMp4Writer({ ...base, output: tmpFile('imagedata.mp4') });
    await w.addFrame({ data: bars(0), width: W, height: H });
    const rgba = bars(1);
    const cases: [string, { data: Uint8Array; width: number; height: number }, RegExp][] = [
      ['height', { data: rgba, width: W, height: H + 2 }, /^frame 1 is 160×98; the writer was created for 160×96$/],
      ['width', { data: rgba, width: W - 2, height: H }, /^frame 1 is 158×96; the writer was created for 160×96$/],
      ['short', { data: rgba.subarray(4), width: W, height: H }, /^frame 1 ImageData has 61436 bytes; expected 61440$/],
    ];
    for (const [what, frame, message] of cases) {
      const err = await rejection(w.addFrame(frame));
      expect(err.code, what).toBe('INVALID_FRAME');
      expect(err.message, what).toEqual(expect.stringMatching(message));
      expect(err.details, what).toEqual({ frameIndex: 1 });
    }
    await w.addFrame({ data: rgba, width: W, height: H });
    expect((await w.finish()).frames).toBe(2);
    expect(await frameCount(tmpFile('imagedata.mp4'))).toBe(2);

    const bgra = await createMp4Writer({ ...base, pixelFormat: 'bgra' });
    const err = await rejection(bgra.addFrame({ data: rgba, width: W, height: H }));
    expect(err.code).toBe('INVALID_FRAME');
    expect(err.message).toBe("ImageData is RGBA, but the writer expects pixelFormat 'bgra'");
    expect(err.details).toEqual({ frameIndex: 0 });
    await bgra.abort();
  });
});

describe('renderVideo with a scene function on this thread', () => {
  it('gives timers a turn while it encodes: a timer set at frame 3 aborts the render long before its end', async () => {
    // The encoder is synchronous and a buffer output never waits on I/O, so only the frame loop's
    // periodic yield lets the timer (and with it the signal) fire before the last frame.
    const ac = new AbortController();
    const frames = 20_000;
    let drawn = 0;
    const err = await rejection(
      renderVideo({
        width: 64,
        height: 64,
        fps: 30,
        frames,
        output: { buffer: true },
        signal: ac.signal,
        scene: (i, rgba) => {
          drawn++;
          rgba.fill(i & 255);
          if (i === 3) setTimeout(() => ac.abort(new Error('timer')), 0);
        },
      }),
    );
    expect(err.code).toBe('ABORTED');
    expect(drawn).toBeLessThan(frames);
  });

  it('a memory output refuses writes after abort() instead of spinning on them (the render above hung one run in six)', async () => {
    // The render above hung about one run in six: the abort fired in the loop's yield, and the frame
    // coded before it went on to the muxer, whose write grew the aborted MemorySink's empty buffer
    // by doubling 0. Checked here on a thread of its own, so that a spin fails the test, not the run.
    const hooks = process.env.MP4FORGE_WORKER_HOOKS as string;
    const sink = new URL('../src/mux/sink.ts', import.meta.url).href;
    const code = `const { parentPort } = require('node:worker_threads');
      import('node:module').then((m) => m.register(${JSON.stringify(hooks)})).then(() => import(${JSON.stringify(sink)})).then(async ({ MemorySink }) => {
        const s = new MemorySink();
        await s.write(new Uint8Array(100));
        await s.abort('stop', true);
        const r = await Promise.allSettled([s.write(new Uint8Array(4)), s.writeAt(new Uint8Array(4), 0)]);
        const settled = r.map((x) => (x.status === 'rejected' ? x.reason.code + ': ' + x.reason.message : 'written'));
        parentPort.postMessage({ settled, bytes: s.data().length });
      });`;
    const worker = new Worker(code, { eval: true });
    const answer = await Promise.race([
      new Promise((resolve) => worker.once('message', resolve)),
      new Promise((resolve) => setTimeout(() => resolve('no answer in 20 s'), 20_000)),
    ]);
    await worker.terminate();
    const refused = 'SINK_FAILED: Writing the output failed: the output was aborted';
    expect(answer).toEqual({ settled: [refused, refused], bytes: 0 });
  });
});

/** mp4forge's temporary files beside `file` (a faststart file is written to one, renamed at finish). */
function temps(file: string): string[] {
  return readdirSync(dirname(file)).filter((f) => f.startsWith(`.${basename(file)}.mp4forge-`));
}

describe('failures that come while nobody calls the writer', () => {
  it('a signal fired while createMp4Writer opens its encoder and output still aborts the writer', async () => {
    const file = tmpFile('aborted-while-opening.mp4');
    const ac = new AbortController();
    const opening = createMp4Writer({ ...base, output: file, signal: ac.signal });
    ac.abort(new Error('changed my mind'));
    const w = await opening;
    const err = await rejection(w.addFrame(bars(0)));
    expect(err.code).toBe('ABORTED');
    expect(err.message).toEqual(expect.stringMatching(/changed my mind/));
    expect((await rejection(w.finish())).code).toBe('ABORTED');
    expect(existsSync(file)).toBe(false);
    expect(temps(file)).toEqual([]);
  });

  it('a worker that fails between two addFrame calls tears the writer down at once: its temporary file goes, its error is the one reported', async () => {
    const threads: WorkerTransport[] = [];
    const pool = new WorkerPool(1, () => {
      const t = spawnNodeWorker();
      threads.push(t);
      return t;
    });
    const file = tmpFile('worker-failed-idle.mp4');
    const ac = new AbortController();
    const w = await createMp4Writer({ ...base, output: file, workers: pool, signal: ac.signal });
    for (let i = 0; i < 3; i++) await w.addFrame(bars(i));
    expect(temps(file)).toHaveLength(1);
    // A real failure inside the thread: a frame the worker's encoder refuses (it answers with an error).
    threads[0].post({ type: 'frame', chunk: 0, yuv: new Uint8Array(3) });
    for (let i = 0; temps(file).length > 0 && i < 1000; i++) await new Promise((r) => setTimeout(r, 10));
    expect(temps(file)).toEqual([]);
    ac.abort(new Error('after the failure')); // too late to change what the writer reports
    const err = await rejection(w.finish());
    expect(err.code).toBe('INVALID_FRAME');
    expect(existsSync(file)).toBe(false);
    await pool.close();
  });
});

describe('an output that cannot be opened', () => {
  it('stops the workers started for it, and gives a WorkerPool its threads back', async () => {
    const missing = tmpFile('no-such-dir/out.mp4');
    const err = await rejection(renderVideo({ ...base, frames: 10, scene: 'bars', workers: 2, output: missing }));
    expect(err.code).toBe('SINK_FAILED');
    expect(liveWorkerCount()).toBe(0);

    const pool = await createWorkerPool({ workers: 1 });
    expect((await rejection(createMp4Writer({ ...base, workers: pool, output: missing }))).code).toBe('SINK_FAILED');
    const w = await createMp4Writer({ ...base, workers: pool }); // refused if the failed writer still held the thread
    await w.addFrames(3, 'bars');
    expect((await w.finish()).frames).toBe(3);
    await pool.close();
    expect(liveWorkerCount()).toBe(0);
  });
});

describe('onProgress', () => {
  it('reports each batch once, with the frames, duration and bytes of the output so far and a consistent rate', async () => {
    const file = tmpFile('progress.mp4');
    const reports: Progress[] = [];
    const t0 = performance.now();
    const w = await createMp4Writer({ ...base, output: file, layout: 'progressive', onProgress: (p) => reports.push({ ...p }) });
    for (let i = 0; i < 24; i++) await w.addFrame(bars(i));
    const result = await w.finish();
    const wall = (performance.now() - t0) / 1000;
    // ffprobe's packets: where each frame's sample sits in the file (progressive: in frame order, as written).
    const packets = await ffprobePackets(file);
    expect(packets).toHaveLength(24);
    expect(reports.map((p) => p.frames)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1)); // one per frame in-process
    // Samples go out in chunks, so a report's bytes end at a whole frame written before it (or 0).
    const ends = packets.map((k) => Number(k.pos) + Number(k.size));
    for (const p of reports) {
      expect(p.durationSeconds).toBeCloseTo(p.frames / 30, 9);
      expect([0, ...ends.slice(0, p.frames)]).toContain(p.bytes);
      expect(p.elapsedSeconds).toBeGreaterThan(0);
      expect(p.elapsedSeconds).toBeLessThanOrEqual(wall);
      expect(p.fps * p.elapsedSeconds).toBeCloseTo(p.frames, 6);
    }
    expect(reports.at(-1)?.bytes).toBeGreaterThan(0);
    expect(reports.at(-1)?.bytes).toBeLessThan(result.bytes);
    expect(reports.map((p) => p.bytes)).toEqual(reports.map((p) => p.bytes).sort((a, b) => a - b));
  });

  it('renderSegment reports each frame once: its end, which adds no frame, is not reported again', async () => {
    const frames: number[] = [];
    const r = await renderSegment({ ...base, scene: 'bars', range: { start: 16, end: 28 }, onProgress: (p) => frames.push(p.frames) });
    expect(r.frames).toBe(12);
    expect(frames).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('a soundtrack pumped along with the video', () => {
  it('lets a fragmented output grow while frames are added, not only at finish()', async () => {
    // A fragment goes out once the audio beside its GOP has come: audio pumped only at finish()
    // would hold every fragment (and every frame) until then.
    const bytes: number[] = [];
    const w = await createMp4Writer({ ...base, layout: 'fragmented', audio: generated.melody({ seconds: 3 }), onProgress: (p) => bytes.push(p.bytes) });
    await w.addFrames(60, 'bars');
    expect(bytes).toHaveLength(60);
    expect(bytes[59]).toBeGreaterThan(0);
    const result = await w.finish();
    expect(result.audio?.durationSeconds).toBeCloseTo(2, 2);
  });

  it('a soundtrack that ends before the video does not hold back the fragments after its end', async () => {
    const bytes: number[] = [];
    const w = await createMp4Writer({ ...base, layout: 'fragmented', audio: generated.melody({ seconds: 0.5 }), onProgress: (p) => bytes.push(p.bytes) });
    await w.addFrames(60, 'bars');
    expect(bytes[59]).toBeGreaterThan(bytes[29]); // the output grew in the second second, with no audio left
    const result = await w.finish();
    expect(result.audio?.durationSeconds).toBeCloseTo(0.5, 2);
  });
});

describe('frames in flight with workers', () => {
  it('an awaited addFrame resolves with at most (workers − 1) × chunk + 4 frames not yet in the output', async () => {
    // 2 workers, GOP 8 → chunks of 16 frames: a window of 20. Noise encodes slower than it converts,
    // so the window fills and addFrame has to wait for the head chunk's frames.
    const width = 320;
    const height = 240;
    const sources = Array.from({ length: 8 }, (_, i) => {
      const rgba = new Uint8Array(width * height * 4);
      drawPattern('noise', rgba, width, height, i);
      return rgba;
    });
    let muxed = 0;
    const w = await createMp4Writer({ width, height, fps: 30, output: { buffer: true }, workers: 2, video: { gop: 8 }, onProgress: (p) => (muxed = p.frames) });
    let most = 0;
    for (let i = 0; i < 160; i++) {
      await w.addFrame(sources[i % 8]);
      most = Math.max(most, i + 1 - muxed);
    }
    expect(most).toBeLessThanOrEqual(20);
    expect((await w.finish()).frames).toBe(160);
    expect(muxed).toBe(160);
  });

  it('frames the workers coded while the writer waited for its caller reach the output at the next addFrame, not only when the window is full', async () => {
    const pool = await createWorkerPool({ workers: 2 }); // threads started already
    let muxed = 0;
    const w = await createMp4Writer({ ...base, workers: pool, onProgress: (p) => (muxed = p.frames) });
    // Fewer frames than the window (20), each after a pause that leaves the workers time to code the
    // ones before: a writer that delivered only when the window was full would mux nothing here.
    for (let i = 0; i < 20 && muxed === 0; i++) {
      await w.addFrame(bars(i));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(muxed).toBeGreaterThan(0);
    await w.finish();
    await pool.close();
  });
});

/** An MP3 as an async iterable in 4 KiB pieces that records whether its reader let go of it (return()). */
function trackedMp3(bytes: Uint8Array): { source: AsyncIterable<Uint8Array>; released: () => boolean } {
  let released = false;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    try {
      for (let o = 0; o < bytes.length; o += 4096) yield bytes.subarray(o, o + 4096);
    } finally {
      released = true;
    }
  }
  return { source: pieces(), released: () => released };
}

describe('the soundtrack is let go of', () => {
  it('at finish() before the audio ends, at abort(), and when the output cannot be opened', async () => {
    const parts: Uint8Array[] = [];
    for await (const c of encodePcmToMp3(generated.melody({ seconds: 2 }))) parts.push(c);
    const mp3 = Buffer.concat(parts);

    const finished = trackedMp3(mp3);
    const file = tmpFile('soundtrack-finished.mp4');
    const w = await createMp4Writer({ ...base, output: file, audio: finished.source });
    await w.addFrames(10, 'bars'); // 1/3 s of a 2 s song: the rest is never read
    const result = await w.finish();
    expect(result.audio?.durationSeconds).toBeCloseTo(10 / 30, 2);
    expect(result.audio?.frames).toBe((await ffprobePackets(file, 'a:0')).length);
    expect(result.audio).not.toHaveProperty('warnings'); // a clean MP3 has nothing to warn of
    expect(finished.released()).toBe(true);

    const aborted = trackedMp3(mp3);
    const a = await createMp4Writer({ ...base, audio: aborted.source });
    await a.addFrames(10, 'bars');
    await a.abort();
    expect(aborted.released()).toBe(true);

    const refused = trackedMp3(mp3);
    const err = await rejection(createMp4Writer({ ...base, audio: refused.source, output: tmpFile('no-such-dir/out.mp4') }));
    expect(err.code).toBe('SINK_FAILED');
    expect(refused.released()).toBe(true);
  });
});

describe("audioLength 'trim'", () => {
  it('muxes the MP3 frames that cover the video and not one more, also when they end exactly where it ends', async () => {
    // 32 kHz MPEG-1 Layer III without a LAME tag (no delay to skip): 1152 samples, 36 ms a frame.
    // At 250/9 fps a video frame is 36 ms too, so 25 frames end exactly at the end of MP3 frame 25.
    const song = tmpFile('trim-32k.mp3');
    const made = await run(FFMPEG, [
      '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=32000:duration=3',
      '-c:a', 'libmp3lame', '-b:a', '64k', '-write_xing', '0', '-y', song,
    ]);
    expect(made.code).toBe(0);
    for (const [fps, frames] of [[{ num: 250, den: 9 }, 25], [30, 20]] as const) {
      const file = tmpFile(`trim-${frames}.mp4`);
      const w = await createMp4Writer({ ...base, fps, output: file, audio: song });
      await w.addFrames(frames, 'bars');
      const result = await w.finish();
      const seconds = typeof fps === 'number' ? frames / fps : (frames * fps.den) / fps.num;
      const needed = Math.ceil(Math.round(seconds * 32000) / 1152);
      expect(result.audio?.frames, `${frames} frames`).toBe(needed);
      expect((await ffprobePackets(file, 'a:0')).length, `${frames} frames`).toBe(needed);
    }
  });
});

describe('renderVideo scenes', () => {
  it('a function scene gets (frameIndex, rgba, width, height) and writes the file addFrames writes', async () => {
    const width = 192; // not square: width and height swapped would draw another picture
    const height = 64;
    const seen = new Set<string>();
    const rendered = await renderVideo({
      width, height, fps: 30, frames: 6, output: { buffer: true }, video: { gop: 8 },
      scene: (i, rgba, w, h) => {
        seen.add(`${w}×${h}`);
        drawPattern('bars', rgba, w, h, i);
      },
    });
    expect([...seen]).toEqual(['192×64']);
    const w = await createMp4Writer({ width, height, fps: 30, output: { buffer: true }, video: { gop: 8 } });
    await w.addFrames(6, 'bars');
    expect(Buffer.from(rendered.data as Uint8Array).equals(Buffer.from((await w.finish()).data as Uint8Array))).toBe(true);
  });

  it('a pattern scene is drawn in workers by default; an empty scene name is refused as INVALID_OPTION', async () => {
    let workers = 0;
    const r = await renderVideo({ ...base, frames: 20, scene: 'bars', onProgress: () => (workers = Math.max(workers, liveWorkerCount())) });
    expect(r.frames).toBe(20);
    expect(workers).toBeGreaterThanOrEqual(1);
    expect(liveWorkerCount()).toBe(0);
    const err = await rejection(renderVideo({ ...base, frames: 2, scene: '' }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toEqual(expect.stringMatching(/^scene must be a module URL, a built-in pattern name or a draw function/));
  });
});
