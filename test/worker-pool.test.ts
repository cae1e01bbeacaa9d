// The worker pool: GOP-aligned chunks encoded in worker threads and reassembled in order.
// Determinism (1 vs N workers, and vs no workers), failures inside workers (a throw in the scene,
// a thread that exits or dies of an uncaught error; the transports' FailureSignal), aborts, and real
// decoders on the output.
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, createMp4Writer, renderVideo } from '../src/index.js';
import { backendById } from '../src/encode/registry.js';
import { liveWorkerCount, spawnNodeWorker } from '../src/pool/node-transport.js';
import { FailureSignal } from '../src/pool/transport.js';
import { ffmpegDecodeCheck, ffprobe, ffprobePackets } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { rejection } from './helpers/rejection.js';

const scene = (name: string) => pathToFileURL(join(__dirname, 'fixtures', 'scenes', name));
const W = 320;
const H = 240;
// GOP 10 → chunks of 20 frames (chunkFramesFor), so 50 frames are 3 chunks, the last one short.
const video = { gop: 10 };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** Worker threads exit asynchronously after terminate(); the pool awaits that, so this is exact. */
function expectNoLiveWorkers(): void {
  expect(liveWorkerCount()).toBe(0);
}

describe('determinism', () => {
  it('1 worker, 3 workers and no workers give byte-identical files', async () => {
    const opts = { width: W, height: H, fps: 30, frames: 50, scene: 'bars', video, output: { buffer: true } as const };
    const one = await renderVideo({ ...opts, workers: 1 });
    const three = await renderVideo({ ...opts, workers: 3 });
    expectNoLiveWorkers();
    expect(one.frames).toBe(50);
    expect(three.data).toBeDefined();
    expect(Buffer.compare(one.data as Uint8Array, three.data as Uint8Array)).toBe(0);

    // Frames produced on the main thread: in-process and pooled writers agree with the render.
    const direct = await createMp4Writer({ width: W, height: H, fps: 30, video, output: { buffer: true } });
    await direct.addFrames(50, 'bars');
    const pooled = await createMp4Writer({ width: W, height: H, fps: 30, video, output: { buffer: true }, workers: 2 });
    await pooled.addFrames(50, 'bars');
    const [d, p] = await Promise.all([direct.finish(), pooled.finish()]);
    expectNoLiveWorkers();
    expect(Buffer.compare(d.data as Uint8Array, one.data as Uint8Array)).toBe(0);
    expect(Buffer.compare(p.data as Uint8Array, one.data as Uint8Array)).toBe(0);
  });

  it('a pooled render with audio: ffprobe counts, keyframes on chunk starts, clean decode', async () => {
    const out = tmpFile('pool-audio.mp4');
    const progress: number[] = [];
    const r = await renderVideo({
      width: W, height: H, fps: 30, frames: 64, scene: 'plasma', workers: 2, video,
      audio: audio.melody({ seconds: 3 }), output: out, onProgress: (p) => progress.push(p.frames),
    });
    expectNoLiveWorkers();
    expect(r.frames).toBe(64);
    expect(r.audio?.durationSeconds).toBeCloseTo(64 / 30, 2);
    expect(progress.at(-1)).toBe(64);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const probe = await ffprobe(out, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    expect(v?.nb_read_packets).toBe('64');
    expect(v?.nb_read_frames).toBe('64');
    expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    const keys = (await ffprobePackets(out)).map((p, i) => (p.flags.includes('K') ? i : -1)).filter((i) => i >= 0);
    expect(keys).toEqual([0, 10, 20, 30, 40, 50, 60]);
    const dec = await ffmpegDecodeCheck(out);
    expect(dec.stderr).toBe('');
    expect(dec.ok).toBe(true);
  });
});

describe('failures inside workers', () => {
  it('a throw in the scene rejects with USER_CALLBACK_FAILED and the frame index; the file is removed', async () => {
    const out = tmpFile('pool-throw.mp4');
    const e = await rejection(renderVideo({ width: W, height: H, fps: 30, frames: 60, scene: scene('throws-at-37.mjs'), workers: 2, video, output: out }));
    expect(e.code).toBe('USER_CALLBACK_FAILED');
    expect(e.details.frameIndex).toBe(37);
    expect(e.message).toMatch(/scene bug at 37/);
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
  });

  it('a worker that calls process.exit rejects with WORKER_FAILED; the pool is torn down', async () => {
    const out = tmpFile('pool-exit.mp4');
    const e = await rejection(renderVideo({ width: W, height: H, fps: 30, frames: 60, scene: scene('exits-at-20.mjs'), workers: 2, video, output: out }));
    expect(e.code).toBe('WORKER_FAILED');
    expect(e.message).toMatch(/exited unexpectedly with code 7/);
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
  });

  it('a worker thread that died before anyone listened tells the failure handler it is given later', async () => {
    // The pool spawns its workers before it has their configuration, and listens only once it has.
    const t = spawnNodeWorker();
    const wasm = backendById('wasm');
    const params = { width: 32, height: 32, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, gop: 10 };
    t.post({ type: 'init', backend: { id: wasm.id, version: wasm.version }, params, chunkFrames: 30, scene: scene('exits-at-20.mjs').href });
    t.post({ type: 'render', chunk: 0, start: 0, count: 30 });
    for (let i = 0; liveWorkerCount() > 0 && i < 1000; i++) await new Promise((r) => setTimeout(r, 10));
    expectNoLiveWorkers(); // the thread is gone (process.exit(7) at frame 20) before a handler was given
    const told = await Promise.race([new Promise<Error>((resolve) => t.onFailure(resolve)), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
    expect(told?.message).toMatch(/exited unexpectedly with code 7/);
    await t.terminate();
  });

  it('an uncaught error inside a worker rejects with WORKER_FAILED', async () => {
    const out = tmpFile('pool-uncaught.mp4');
    const e = await rejection(renderVideo({ width: W, height: H, fps: 30, frames: 400, scene: scene('async-crash.mjs'), workers: 2, video, output: out }));
    expect(e.code).toBe('WORKER_FAILED');
    expect(e.message).toMatch(/uncaught in worker/);
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
  });

  it('a scene that cannot be imported is INVALID_OPTION before anything is written', async () => {
    const out = tmpFile('pool-missing.mp4');
    const e = await rejection(renderVideo({ width: W, height: H, fps: 30, frames: 10, scene: scene('no-such-scene.mjs'), workers: 2, output: out }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/could not be imported/);
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
  });

  it('renders a scene module on the calling thread with workers: 0; rejects a bad workers value', async () => {
    const inProcess = await renderVideo({ width: W, height: H, fps: 30, frames: 10, scene: 'bars', workers: 0, output: { buffer: true } });
    const pooled = await renderVideo({ width: W, height: H, fps: 30, frames: 10, scene: 'bars', workers: 2, output: { buffer: true } });
    expect(Buffer.from(inProcess.data as Uint8Array).equals(Buffer.from(pooled.data as Uint8Array))).toBe(true);
    expect((await rejection(createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true }, workers: -1 }))).code).toBe('INVALID_OPTION');
    expectNoLiveWorkers();
  });
});

describe('FailureSignal (both transports report a worker death through it)', () => {
  it('keeps the first failure and tells it once, to a handler given before or after it', () => {
    const a = new Error('first');
    const b = new Error('second');
    const before = new FailureSignal();
    const seenBefore: Error[] = [];
    before.listen((e) => seenBefore.push(e));
    before.fail(a);
    before.fail(b);
    expect(seenBefore).toEqual([a]);
    expect(before.error).toBe(a);
    const after = new FailureSignal();
    after.fail(a);
    after.fail(b);
    const seenAfter: Error[] = [];
    after.listen((e) => seenAfter.push(e));
    expect(seenAfter).toEqual([a]);
    expect(after.error).toBe(a);
  });
});

describe('abort', () => {
  it('mid-render: rejects ABORTED, no hang; a fragmented file plays up to its last complete fragment', async () => {
    const out = tmpFile('pool-abort.mp4');
    const ac = new AbortController();
    const e = await rejection(
      renderVideo({
        width: W, height: H, fps: 30, frames: 600, scene: scene('slow-gradient.mjs'), workers: 2, video, layout: 'fragmented', output: out, signal: ac.signal,
        onProgress: (p) => {
          if (p.frames >= 45) ac.abort(new Error('enough'));
        },
      }),
    );
    expect(e.code).toBe('ABORTED');
    expectNoLiveWorkers();
    expect(statSync(out).size).toBeGreaterThan(0);
    const probe = await ffprobe(out, { count: true });
    const n = Number(probe.streams[0].nb_read_frames);
    expect(n).toBeGreaterThanOrEqual(20);
    expect(n).toBeLessThan(600);
    const dec = await ffmpegDecodeCheck(out);
    expect(dec.stderr).toBe('');
  });

  it('a signal that fires while the workers start up still aborts the render', async () => {
    const out = tmpFile('pool-abort-early.mp4');
    const ac = new AbortController();
    const p = renderVideo({ width: W, height: H, fps: 30, frames: 100, scene: 'bars', workers: 2, output: out, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('early')), 20);
    const e = await rejection(p);
    expect(e.code).toBe('ABORTED');
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
  });

  it('a pooled writer aborted mid-stream deletes its faststart file and stops its workers', async () => {
    const out = tmpFile('pool-writer-abort.mp4');
    const w = await createMp4Writer({ width: W, height: H, fps: 30, video, output: out, workers: 2 });
    await w.addFrames(30, 'noise');
    await w.abort(new Error('stop'));
    expect(existsSync(out)).toBe(false);
    expectNoLiveWorkers();
    expect((await rejection(w.finish())).code).toBe('ABORTED');
  });
});
