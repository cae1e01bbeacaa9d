// The worker pool: GOP-aligned chunks encoded in worker threads and reassembled in order.
// Determinism (1 vs N workers, and vs no workers), failures inside workers (a throw in the scene,
// a thread that exits or dies of an uncaught error; the transports' FailureSignal), aborts, and real
// decoders on the output.
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, createMp4Writer, createWorkerPool, renderVideo } from '../src/index.js';
import { backendById } from '../src/encode/registry.js';
import { liveWorkerCount, spawnNodeWorker } from '../src/pool/node-transport.js';
import type { EncoderParams } from '../src/encode/backend.js';
import type { FromWorker, ToWorker } from '../src/pool/protocol.js';
import { FailureSignal, type WorkerTransport } from '../src/pool/transport.js';
import { WorkerPool } from '../src/pool/worker-pool.js';
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

/** A thread as a WorkerPool sees it: records what it is told, and dies on request. */
class PooledFake implements WorkerTransport {
  readonly posted: ToWorker[] = [];
  /** Last keepAlive(): whether the thread would keep the process alive. */
  alive: boolean | null = null;
  terminated = false;
  handler: (m: FromWorker) => void = () => {};
  private readonly failure = new FailureSignal();
  post(m: ToWorker): void {
    this.posted.push(m);
  }
  onMessage(h: (m: FromWorker) => void): void {
    this.handler = h;
  }
  onFailure(h: (e: Error) => void): void {
    this.failure.listen(h);
  }
  keepAlive(on: boolean): void {
    this.alive = on;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
  die(): void {
    this.failure.fail(new Error('thread died'));
  }
}

function fakePool(workers: number) {
  const fakes: PooledFake[] = [];
  const pool = new WorkerPool(workers, () => (fakes.push(new PooledFake()), fakes.at(-1) as PooledFake));
  return { pool, fakes };
}

const END: ToWorker = { type: 'end', chunk: 0 };

/** Gives a lent thread back (a WorkerPool's transports can be released). */
function release(t: WorkerTransport): Promise<void> {
  if (!t.release) throw new Error('a WorkerPool transport must have release()');
  return t.release();
}

describe('WorkerPool (threads kept between writers)', () => {
  it('lends the threads it started to one writer at a time; idle, they do not keep the process alive', async () => {
    const { pool, fakes } = fakePool(2);
    expect(fakes.map((f) => f.alive)).toEqual([false, false]);
    const first = pool.lend();
    const lent = [first.spawn(), first.spawn()];
    expect(pool.busy).toBe(true);
    expect(fakes.map((f) => f.alive)).toEqual([true, true]);
    lent[1].post(END);
    expect(fakes.map((f) => f.posted.length)).toEqual([0, 1]);
    const heard: string[] = [];
    lent[0].onMessage((m) => heard.push(`first:${m.type}`));
    fakes[0].handler({ type: 'ready', config: { sps: [], pps: [], profile: 66, compatibility: 0, level: 30 } });
    expect(heard).toEqual(['first:ready']);
    expect(await rejection((async () => pool.lend())())).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/one writer at a time/) });

    await Promise.all(lent.map(release));
    first.end();
    expect(pool.busy).toBe(false);
    expect(fakes.map((f) => [f.alive, f.terminated])).toEqual([[false, false], [false, false]]);
    // The next writer gets the same threads, and the last writer hears nothing more.
    const second = pool.lend();
    const again = [second.spawn(), second.spawn()];
    again[0].onMessage((m) => heard.push(`second:${m.type}`));
    fakes[0].handler({ type: 'done', chunk: 0, frames: 0 });
    expect(heard).toEqual(['first:ready', 'second:done']);
    expect(fakes).toHaveLength(2);
    expect(pool.threadsStarted).toBe(2);
    // An earlier writer's end() does not free the pool from the writer that holds it now.
    first.end();
    expect(pool.busy).toBe(true);
    await Promise.all(again.map(release));
    second.end();
    await pool.close();
    expect(fakes.map((f) => f.terminated)).toEqual([true, true]);
  });

  it('a thread that died while idle is replaced at the next lend; one that dies lent tells its writer and is not given back', async () => {
    const { pool, fakes } = fakePool(2);
    fakes[0].die();
    const a = pool.lend();
    const lent = [a.spawn(), a.spawn()];
    expect(fakes).toHaveLength(3);
    expect(fakes[0].terminated).toBe(true);
    lent[0].post(END);
    expect(fakes.map((f) => f.posted.length)).toEqual([0, 1, 0]); // the live idle thread first, then a new one
    expect(pool.threadsStarted).toBe(3);
    const told: string[] = [];
    lent[1].onFailure((e) => told.push(e.message));
    fakes[2].die();
    expect(told).toEqual(['thread died']);
    await Promise.all(lent.map(release));
    a.end();
    expect(fakes[2].terminated).toBe(true);
    expect(fakes[1].terminated).toBe(false);
    const b = pool.lend();
    b.spawn();
    b.spawn();
    expect(pool.threadsStarted).toBe(4);
    await pool.close();
  });

  it("a thread given back before it answered its init: that answer goes to nobody, and the next writer hears only its own", async () => {
    const config = (level: number) => ({ sps: [], pps: [], profile: 66, compatibility: 0, level });
    const init: ToWorker = { type: 'init', backend: { id: 'wasm', version: '1' }, params: {} as EncoderParams, chunkFrames: 16, scene: null };
    const { pool, fakes } = fakePool(1);
    /** A writer's hold on the pool's one thread: what it hears, and its init posted. */
    const holder = () => {
      const lease = pool.lend();
      const t = lease.spawn();
      const heard: FromWorker[] = [];
      const failed: string[] = [];
      t.onMessage((m) => heard.push(m));
      t.onFailure((e) => failed.push(e.message));
      t.post(init);
      return { t, heard, failed, end: lease.end };
    };
    // A short file: its writer ended before the thread answered.
    const a = holder();
    await release(a.t);
    a.end();
    const b = holder();
    expect(fakes).toHaveLength(1);
    fakes[0].handler({ type: 'ready', config: config(30) }); // the first writer's init
    fakes[0].handler({ type: 'ready', config: config(31) }); // the second's
    fakes[0].handler({ type: 'done', chunk: 0, frames: 0 });
    expect(a.heard).toEqual([]);
    expect(b.heard).toEqual([{ type: 'ready', config: config(31) }, { type: 'done', chunk: 0, frames: 0 }]);
    expect(b.failed).toEqual([]);

    // The earlier init failed instead: the worker ignores everything after, so the holder is told.
    await release(b.t);
    b.end();
    const c = holder();
    c.t.post(init); // as if a writer before had left an init unanswered too
    fakes[0].handler({ type: 'error', error: { code: 'ENCODER_FAILED', message: 'no memory', user: false } });
    expect(c.heard).toEqual([]);
    expect(c.failed).toEqual([expect.stringMatching(/failed to open a writer before this one: no memory/)]);
    await c.t.terminate();
    c.end();
    await pool.close();
  });

  it('terminate() stops a lent thread for good (a failed or aborted writer); the pool starts another one next time', async () => {
    const { pool, fakes } = fakePool(1);
    const a = pool.lend();
    const t = a.spawn();
    await t.terminate();
    t.post(END); // after terminate: dropped
    expect(fakes[0].posted).toEqual([]);
    expect(fakes[0].terminated).toBe(true);
    a.end();
    const b = pool.lend();
    b.spawn().post(END);
    expect(fakes).toHaveLength(2);
    expect(fakes[1].posted).toEqual([END]);
    await pool.close();
  });

  it('close() stops idle threads at once and lent ones when they come back; a closed pool lends nothing', async () => {
    const { pool, fakes } = fakePool(2);
    const a = pool.lend();
    const t = a.spawn(); // one lent, one idle
    await pool.close();
    expect(fakes.map((f) => f.terminated)).toEqual([false, true]);
    await release(t);
    a.end();
    expect(fakes[0].terminated).toBe(true);
    expect(await rejection((async () => pool.lend())())).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/was closed/) });
  });

  it('createWorkerPool refuses a size that is not 1-256 or auto', async () => {
    for (const workers of [0, -1, 1.5, 257, '2', null]) {
      const e = await rejection(createWorkerPool({ workers: workers as number }));
      expect(e.code).toBe('INVALID_OPTION');
    }
    expectNoLiveWorkers();
  });

  it('writers one after another on the same threads write the files they write with workers: 0', async () => {
    const pool = await createWorkerPool({ workers: 2 });
    try {
      expect(liveWorkerCount()).toBe(2);
      const frames = async (workers: number | WorkerPool, width: number, height: number, qp: number) => {
        const w = await createMp4Writer({ width, height, fps: 30, video: { ...video, qp }, output: { buffer: true }, workers });
        await w.addFrames(50, 'bars');
        return (await w.finish()).data as Uint8Array;
      };
      const render = (workers: number | WorkerPool) =>
        renderVideo({ width: 160, height: 96, fps: 25, frames: 45, scene: 'plasma', video, output: { buffer: true }, workers }).then(
          (r) => r.data as Uint8Array,
        );
      const short = async (workers: number | WorkerPool) => {
        const w = await createMp4Writer({ width: 64, height: 64, fps: 30, output: { buffer: true }, workers });
        await w.addFrames(4, 'bars');
        return (await w.finish()).data as Uint8Array;
      };
      // A file of one chunk at once (the second worker may still be starting: its 'ready' can come
      // after the file ended), frames from this thread, a render drawn in the workers (other size
      // and rate), frames again at another qp.
      const got = [await short(pool), await frames(pool, W, H, 26), await render(pool), await frames(pool, W, H, 34)];
      const want = [await short(0), await frames(0, W, H, 26), await render(0), await frames(0, W, H, 34)];
      for (let i = 0; i < want.length; i++) expect(Buffer.compare(got[i], want[i]), `file ${i}`).toBe(0);
      expect(pool.threadsStarted).toBe(2);
      expect(liveWorkerCount()).toBe(2);
    } finally {
      await pool.close();
    }
    expectNoLiveWorkers();
  });

  it('a second writer while one holds the pool is refused; a failed render gives up its threads and the next writer gets new ones', async () => {
    const pool = await createWorkerPool({ workers: 2 });
    try {
      const held = await createMp4Writer({ width: W, height: H, fps: 30, video, output: { buffer: true }, workers: pool });
      const busy = await rejection(createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true }, workers: pool }));
      expect(busy).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/one writer at a time/) });
      await held.addFrames(30, 'bars');
      expect((await held.finish()).frames).toBe(30);

      const out = tmpFile('pool-reuse-throw.mp4');
      const e = await rejection(renderVideo({ width: W, height: H, fps: 30, frames: 60, scene: scene('throws-at-37.mjs'), workers: pool, video, output: out }));
      expect(e.code).toBe('USER_CALLBACK_FAILED');
      expect(existsSync(out)).toBe(false);
      expectNoLiveWorkers(); // both threads stopped: something of that render could still be queued in them
      const opts = { width: W, height: H, fps: 30, frames: 50, scene: 'bars', video, output: { buffer: true } as const };
      const after = await renderVideo({ ...opts, workers: pool });
      expect(pool.threadsStarted).toBe(4);
      const direct = await renderVideo({ ...opts, workers: 0 });
      expect(Buffer.compare(after.data as Uint8Array, direct.data as Uint8Array)).toBe(0);
    } finally {
      await pool.close();
    }
    expectNoLiveWorkers();
  });
});
