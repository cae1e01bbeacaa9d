// ChunkPool scheduling with an in-memory transport (the interface a Web Worker adapter implements):
// workers that finish chunks out of order, at random speeds, still give frames in frame order;
// in render mode never more than `workers` chunks from the head are in flight, in frame mode never
// more than (workers − 1) chunks + 4 frames, with every worker busy; a failing worker fails the pool.
// Given the SPS/PPS up front, start() does not wait for the workers, and a worker that disagrees
// with them or fails to start fails the pool; given as a promise, the workers are spawned before
// it settles; without them, start() refuses two that disagree, and a failed start stops the workers.
// A new chunk goes to the worker with the fewest frames to code; at most `window` buffers are kept
// for reuse; wait() keeps an event that came while nobody waited; a worker that breaks the
// protocol (frames for a chunk not in flight, a wrong frame count) fails the pool.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AvcConfig } from '../src/encode/avc.js';
import { ChunkPool } from '../src/pool/chunk-pool.js';
import type { FromWorker, ToWorker } from '../src/pool/protocol.js';
import type { WorkerTransport } from '../src/pool/transport.js';
import { lcg } from './helpers/random.js';

const config: AvcConfig = { sps: [new Uint8Array([0x67, 0x42, 0, 0x1e])], pps: [new Uint8Array([0x68, 0xce])], profile: 66, compatibility: 0, level: 30 };
const params = { width: 16, height: 16, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, speed: 6, gop: 4, temporalDenoise: false };
const backend = { id: 'h264-mp4-encoder', version: '1.0.12' } as const;

/** A fake worker: "encodes" frame i of a render as 4 bytes holding i, after a random delay per frame. */
class FakeWorker implements WorkerTransport {
  private handler: (m: FromWorker) => void = () => {};
  private failure: (e: Error) => void = () => {};
  private chain = Promise.resolve();
  terminated = false;
  constructor(
    private readonly delay: () => number,
    private readonly inFlight: { chunks: Set<number>; maxAhead: number; peak?: number; head: () => number },
    private readonly crashAt = -1,
    /** A chunk whose 'done' claims one frame more than the fake sent. */
    private readonly overcount = -1,
  ) {}
  post(m: ToWorker): void {
    this.chain = this.chain.then(() => this.handle(m));
  }
  private async handle(m: ToWorker): Promise<void> {
    if (this.terminated) return;
    if (m.type === 'init') return this.handler({ type: 'ready', config });
    if (m.type !== 'render') return;
    this.inFlight.chunks.add(m.chunk);
    this.inFlight.peak = Math.max(this.inFlight.peak ?? 0, this.inFlight.chunks.size);
    this.inFlight.maxAhead = Math.max(this.inFlight.maxAhead, m.chunk - this.inFlight.head());
    for (let i = m.start; i < m.start + m.count; i++) {
      await new Promise((r) => setTimeout(r, this.delay()));
      if (this.terminated) return;
      if (i === this.crashAt) return this.failure(new Error('fake crash'));
      const data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, i);
      this.handler({ type: 'coded', chunk: m.chunk, frames: [{ data, keyframe: i === m.start }] });
    }
    // 'done' may come after the main thread took every frame (a stall the pool once had).
    await new Promise((r) => setTimeout(r, this.delay()));
    this.inFlight.chunks.delete(m.chunk);
    this.handler({ type: 'done', chunk: m.chunk, frames: m.count + (m.chunk === this.overcount ? 1 : 0) });
  }
  onMessage(h: (m: FromWorker) => void): void {
    this.handler = h;
  }
  onFailure(h: (e: Error) => void): void {
    this.failure = h;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
}

const waits = new WeakMap<ChunkPool, number>();

/**
 * pool.wait(), for the tests' loops. A wait() that returned without an event would spin such a
 * loop on microtasks and starve every timer (vitest's timeout too): a bound turns that into a failure.
 */
async function next(pool: ChunkPool): Promise<void> {
  const n = (waits.get(pool) ?? 0) + 1;
  waits.set(pool, n);
  if (n > 100_000) throw new Error('pool.wait() returned 100,000 times: it must wait for an event');
  await pool.wait();
}

async function drain(pool: ChunkPool): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    for (const f of pool.take()) got.push(new DataView(f.data.buffer).getUint32(0));
    if (pool.idle) return got;
    await next(pool);
  }
}

/**
 * A fake worker in frame mode: "encodes" each I420 frame it is sent (whose first 4 bytes hold the
 * frame's index) after a random delay, returning the buffer with the coded frame. `busy` counts
 * the fakes that hold frames not yet coded, and its peak.
 */
class FrameFake implements WorkerTransport {
  private handler: (m: FromWorker) => void = () => {};
  private chain = Promise.resolve();
  private queued = 0;
  private sent = 0;
  /** 'ready' messages sent. */
  readied = 0;
  /** The chunks this fake was given, in order. */
  readonly begun: number[] = [];
  terminated = false;
  constructor(
    private readonly delay: () => number,
    private readonly busy: { now: number; peak: number },
    /** What the fake answers to init, once `started` settles (a worker still starting holds every later message). */
    private readonly start: { started: Promise<void>; reply: FromWorker } = { started: Promise.resolve(), reply: { type: 'ready', config } },
  ) {}
  post(m: ToWorker): void {
    if (m.type === 'frame' && this.queued++ === 0) this.busy.peak = Math.max(this.busy.peak, ++this.busy.now);
    if (m.type === 'begin') this.begun.push(m.chunk);
    this.chain = this.chain.then(() => this.handle(m));
  }
  private async handle(m: ToWorker): Promise<void> {
    if (m.type === 'init') {
      await this.start.started;
      if (this.start.reply.type === 'ready') this.readied++;
      return this.handler(this.start.reply);
    }
    if (m.type === 'begin') this.sent = 0;
    if (m.type === 'end') return this.handler({ type: 'done', chunk: m.chunk, frames: this.sent });
    if (m.type !== 'frame') return;
    await new Promise((r) => setTimeout(r, this.delay()));
    const data = m.yuv.slice(0, 4);
    if (--this.queued === 0) this.busy.now--;
    this.sent++;
    this.handler({ type: 'coded', chunk: m.chunk, frames: [{ data, keyframe: false }], yuv: m.yuv });
  }
  onMessage(h: (m: FromWorker) => void): void {
    this.handler = h;
  }
  onFailure(_handler: (e: Error) => void): void {}
  async terminate(): Promise<void> {
    this.terminated = true;
  }
}

/** A worker the test speaks for: it records what the pool posts, and `emit` answers as the worker. */
class PushFake implements WorkerTransport {
  private handler: (m: FromWorker) => void = () => {};
  readonly posted: ToWorker[] = [];
  post(m: ToWorker): void {
    this.posted.push(m);
  }
  emit(m: FromWorker): void {
    this.handler(m);
  }
  onMessage(h: (m: FromWorker) => void): void {
    this.handler = h;
  }
  onFailure(_handler: (e: Error) => void): void {}
  async terminate(): Promise<void> {}
}

/** A one-worker pool on a PushFake, with frame 0 (chunk 0) sent to it. */
async function oneFramePushed(): Promise<{ worker: PushFake; pool: ChunkPool }> {
  const worker = new PushFake();
  const pool = await ChunkPool.start({ spawn: () => worker, workers: 1, params, backend, chunkFrames: 16, scene: null, config });
  pool.submit(pool.yuvBuffer());
  return { worker, pool };
}

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const result = await Promise.race([p.then(() => true, () => true), late]);
  clearTimeout(timer);
  return result;
}

/** Fake workers' delays: 0, 1 or 2 ms, a repeatable sequence from `seed`. */
function delays(seed: number): () => number {
  const next = lcg(seed);
  return () => (next() >>> 16) % 3;
}

describe('ChunkPool', () => {
  it('frame mode: frames out in order, every worker busy at once, at most (workers − 1) chunks + 4 frames held', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (workers, frames, seed) => {
          const rand = delays(seed);
          const busy = { now: 0, peak: 0 };
          const chunkFrames = 16; // chunkFramesFor's least
          const pool = await ChunkPool.start({ spawn: () => new FrameFake(rand, busy), workers, params, backend, chunkFrames, scene: null });
          const got: number[] = [];
          const buffers = new Set<Uint8Array>();
          let held = 0;
          const collect = () => {
            for (const f of pool.take()) got.push(new DataView(f.data.buffer).getUint32(0));
          };
          // The writer's loop (PoolEncoder): wait for room, then hand over one frame.
          for (let i = 0; i < frames; i++) {
            while (!pool.hasRoom()) {
              await next(pool);
              collect();
            }
            const yuv = pool.yuvBuffer();
            buffers.add(yuv);
            new DataView(yuv.buffer).setUint32(0, i);
            pool.submit(yuv);
            held = Math.max(held, pool.pending);
            collect();
          }
          pool.endInput();
          for (;;) {
            collect();
            if (pool.idle) break;
            await next(pool);
          }
          expect(got).toEqual(Array.from({ length: frames }, (_, i) => i));
          const window = (workers - 1) * chunkFrames + 4;
          expect(held).toBeLessThanOrEqual(window);
          expect(buffers.size).toBeLessThanOrEqual(window);
          // Each chunk after the first can start as soon as the one before it has been sent.
          expect(busy.peak).toBe(Math.min(workers, Math.ceil(frames / chunkFrames)));
          await pool.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('frame mode with the configuration known: start() returns before any worker is ready, and frames sent meanwhile come out in order', async () => {
    let release = () => {};
    const started = new Promise<void>((r) => (release = r));
    const fakes: FrameFake[] = [];
    const busy = { now: 0, peak: 0 };
    const spawn = () => (fakes.push(new FrameFake(() => 1, busy, { started, reply: { type: 'ready', config } })), fakes.at(-1) as FrameFake);
    const pool = await ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 16, scene: null, config });
    expect(fakes.map((f) => f.readied)).toEqual([0, 0]);
    // A window's worth goes in while the workers are still starting; then they start.
    const sent = pool.window;
    for (let i = 0; i < sent; i++) {
      expect(pool.hasRoom()).toBe(true);
      const yuv = pool.yuvBuffer();
      new DataView(yuv.buffer).setUint32(0, i);
      pool.submit(yuv);
    }
    expect(pool.hasRoom()).toBe(false);
    release();
    const got: number[] = [];
    for (let i = sent; ; ) {
      for (const f of pool.take()) got.push(new DataView(f.data.buffer).getUint32(0));
      if (i < 40 && pool.hasRoom()) {
        const yuv = pool.yuvBuffer();
        new DataView(yuv.buffer).setUint32(0, i++);
        pool.submit(yuv);
        continue;
      }
      if (i === 40) {
        pool.endInput();
        i++;
      }
      if (pool.idle) break;
      await next(pool);
    }
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(fakes.map((f) => f.readied)).toEqual([1, 1]);
    await pool.close();
  }, 10_000);

  it('with the configuration known, a worker that reports another one, or fails to start, fails the pool', async () => {
    const other: AvcConfig = { ...config, sps: [new Uint8Array([0x67, 0x42, 0, 0x1f])] };
    const replies: [FromWorker, object][] = [
      [{ type: 'ready', config: other }, { code: 'ENCODER_FAILED', message: expect.stringMatching(/SPS\/PPS that differ from the SPS\/PPS the main thread derived/) }],
      [{ type: 'error', error: { code: 'WORKER_FAILED', message: 'no encoder here', user: false } }, { code: 'WORKER_FAILED', message: 'no encoder here' }],
    ];
    for (const [reply, expected] of replies) {
      let n = 0;
      // The second worker is the odd one out: a pool that trusted only the first would not notice.
      const spawn = () => new FrameFake(() => 1, { now: 0, peak: 0 }, { started: Promise.resolve(), reply: n++ === 1 ? reply : { type: 'ready', config } });
      const pool = await ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 16, scene: null, config });
      const seen: string[] = [];
      pool.onFailure = (e) => seen.push(e.code);
      await expect(pool.wait()).rejects.toMatchObject(expected);
      let thrown: unknown = null;
      try {
        pool.submit(pool.yuvBuffer());
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject(expected);
      expect(seen).toEqual([(expected as { code: string }).code]);
      await pool.close();
    }
  }, 10_000);

  it('given the configuration as a promise, start() spawns the workers first; one that died meanwhile fails the pool', async () => {
    let release: (c: AvcConfig) => void = () => {};
    const later = new Promise<AvcConfig>((resolve) => (release = resolve));
    let spawned = 0;
    // The first fake died before anyone listened: it tells the handler it is given (WorkerTransport.onFailure).
    class DiedFake extends FrameFake {
      override onFailure(h: (e: Error) => void): void {
        h(new Error('gone before init'));
      }
    }
    const spawn = () => (spawned++ === 0 ? new DiedFake(() => 1, { now: 0, peak: 0 }) : new FrameFake(() => 1, { now: 0, peak: 0 }));
    const starting = ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 16, scene: null, config: later });
    await new Promise((r) => setTimeout(r, 5));
    expect(spawned).toBe(2); // while the configuration is still being worked out
    release(config);
    const pool = await starting;
    expect(pool.config).toBe(config);
    await expect(pool.wait()).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/gone before init/) });
    expect(() => pool.submit(pool.yuvBuffer())).toThrow(/gone before init/);
    await pool.close();
  }, 10_000);

  it('without it, start() waits for the workers and refuses two that disagree; a failed start stops the workers it spawned', async () => {
    let n = 0;
    const other: AvcConfig = { ...config, sps: [new Uint8Array([0x67, 0x42, 0, 0x1f])] };
    const reply = (): FromWorker => ({ type: 'ready', config: n++ === 0 ? config : other });
    const fakes: FrameFake[] = [];
    const spawn = () => (fakes.push(new FrameFake(() => 1, { now: 0, peak: 0 }, { started: Promise.resolve(), reply: reply() })), fakes.at(-1) as FrameFake);
    await expect(ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 16, scene: null })).rejects.toMatchObject({
      code: 'ENCODER_FAILED',
      message: expect.stringMatching(/differ from another worker's/),
    });
    expect(fakes.map((f) => f.terminated)).toEqual([true, true]);
    // The configuration promise rejects (the backend's configFor failed) after the workers were spawned.
    fakes.length = 0;
    const noConfig = Promise.reject(new Error('no configuration for these parameters'));
    await expect(ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 16, scene: null, config: noConfig })).rejects.toThrow(/no configuration/);
    expect(fakes.map((f) => f.terminated)).toEqual([true, true]);
  }, 10_000);

  it('a new chunk goes to the worker with the fewest frames still to code, not in turn', async () => {
    const slowBusy = { now: 0, peak: 0 };
    const fastBusy = { now: 0, peak: 0 };
    const fakes = [new FrameFake(() => 20, slowBusy), new FrameFake(() => 0, fastBusy)];
    let k = 0;
    const pool = await ChunkPool.start({ spawn: () => fakes[k++], workers: 2, params, backend, chunkFrames: 16, scene: null, config, window: 64 });
    let i = 0;
    const send = (n: number) => {
      for (const end = i + n; i < end; i++) {
        const yuv = pool.yuvBuffer();
        new DataView(yuv.buffer).setUint32(0, i);
        pool.submit(yuv);
      }
    };
    send(32); // chunk 0 to the slow worker, chunk 1 to the fast one
    for (let t = 0; fastBusy.now > 0 || fakes[1].begun.length === 0; t++) {
      expect(t).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(slowBusy.now).toBe(1); // the slow worker still codes chunk 0 (20 ms a frame)
    send(16);
    pool.endInput();
    expect(fakes.map((f) => f.begun)).toEqual([[0], [1, 2]]);
    expect(await drain(pool)).toEqual(Array.from({ length: 48 }, (_, j) => j));
    await pool.close();
  }, 10_000);

  it('keeps at most `window` returned buffers for reuse', async () => {
    const spawn = () => new FrameFake(() => 0, { now: 0, peak: 0 });
    const pool = await ChunkPool.start({ spawn, workers: 1, params, backend, chunkFrames: 16, scene: null, config });
    // The caller's own buffers (not yuvBuffer()'s), so that more come back than the window.
    const mine = new Set<Uint8Array>();
    for (let i = 0; i < 12; i++) {
      while (!pool.hasRoom()) {
        await next(pool);
        pool.take();
      }
      const yuv = new Uint8Array((16 * 16 * 3) / 2);
      mine.add(yuv);
      pool.submit(yuv);
    }
    pool.endInput();
    await drain(pool);
    const reused = Array.from({ length: pool.window + 1 }, () => pool.yuvBuffer()).filter((b) => mine.has(b));
    expect(reused.length).toBe(pool.window);
    await pool.close();
  }, 10_000);

  it("wait() returns at once for an event that came while nobody waited, once, then waits for the next", async () => {
    const { worker, pool } = await oneFramePushed();
    const yuv = (worker.posted.find((m) => m.type === 'frame') as { yuv: Uint8Array }).yuv;
    worker.emit({ type: 'coded', chunk: 0, frames: [{ data: new Uint8Array(4), keyframe: true }], yuv });
    expect(await settlesWithin(pool.wait(), 50)).toBe(true);
    const later = pool.wait();
    expect(await settlesWithin(later, 50)).toBe(false);
    worker.emit({ type: 'done', chunk: 0, frames: 1 });
    expect(await settlesWithin(later, 50)).toBe(true);
    await pool.close();
  }, 10_000);

  it('coded frames for a chunk not in flight fail the pool', async () => {
    const { worker, pool } = await oneFramePushed();
    worker.emit({ type: 'coded', chunk: 5, frames: [{ data: new Uint8Array(4), keyframe: true }] });
    await expect(pool.wait()).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/chunk 5, which is not in flight/) });
    await pool.close();
  });

  it('hands out frames in order whatever order workers finish in, within a window of `workers` chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (workers, frames, seed) => {
          const rand = delays(seed);
          let pool: ChunkPool | null = null;
          const inFlight = { chunks: new Set<number>(), maxAhead: 0, peak: 0, head: () => (pool ? (pool as unknown as { head: number }).head : 0) };
          const fakes: FakeWorker[] = [];
          pool = await ChunkPool.start({
            spawn: () => (fakes.push(new FakeWorker(rand, inFlight)), fakes.at(-1) as FakeWorker),
            workers,
            params,
            backend,
            chunkFrames: 4,
            scene: 'bars',
          });
          pool.render(0, frames);
          const got = await drain(pool);
          expect(got).toEqual(Array.from({ length: frames }, (_, i) => i));
          expect(inFlight.maxAhead).toBeLessThan(workers);
          // Every worker renders a chunk at once (while there are chunks for each).
          expect(inFlight.peak).toBe(Math.min(workers, Math.ceil(frames / 4)));
          await pool.close();
          expect(fakes.every((f) => f.terminated)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a worker whose 'done' counts other frames than it sent fails the pool, even after its frames were taken", async () => {
    const inFlight = { chunks: new Set<number>(), maxAhead: 0, head: () => 0 };
    // Chunk 2 of 3 (frames 8-11) claims 5 frames; its 'done' comes after the last frame was taken.
    const spawn = () => new FakeWorker(() => 1, inFlight, -1, 2);
    const pool = await ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 4, scene: 'bars' });
    pool.render(0, 12);
    await expect(drain(pool)).rejects.toMatchObject({ code: 'WORKER_FAILED', message: 'chunk 2 ended with 4 frames received, but the worker sent 5' });
    await pool.close();
  });

  it('close() gives workers back (release) only after a clean end, every chunk done and taken; otherwise it terminates them', async () => {
    /** A FrameFake a WorkerPool lent: release() gives it back. */
    class LentFake extends FrameFake {
      released = false;
      async release(): Promise<void> {
        this.released = true;
      }
    }
    const fates = (fakes: LentFake[]) => fakes.map((f) => (f.released ? 'released' : '') + (f.terminated ? 'terminated' : ''));
    const run = async (opts: { frames: number; finish: boolean; held?: Promise<void> }) => {
      const fakes: LentFake[] = [];
      const busy = { now: 0, peak: 0 };
      // The second worker answers init only once `held` settles (still starting).
      const spawn = () => {
        const started = fakes.length === 1 && opts.held ? opts.held : Promise.resolve();
        fakes.push(new LentFake(() => 1, busy, { started, reply: { type: 'ready', config } }));
        return fakes.at(-1) as LentFake;
      };
      const pool = await ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 4, scene: null, config });
      let taken = 0;
      for (let i = 0; i < opts.frames; i++) {
        while (!pool.hasRoom()) {
          taken += pool.take().length;
          await next(pool);
        }
        const yuv = pool.yuvBuffer();
        new DataView(yuv.buffer).setUint32(0, i);
        pool.submit(yuv);
      }
      if (opts.finish) {
        pool.endInput();
        expect(taken + (await drain(pool)).length).toBe(opts.frames);
      }
      await pool.close();
      return fates(fakes);
    };
    // Both workers coded chunks and everything was taken.
    expect(await run({ frames: 12, finish: true })).toEqual(['released', 'released']);
    // One chunk: the second worker never had one, but answered its init.
    expect(await run({ frames: 3, finish: true })).toEqual(['released', 'released']);
    // The second worker has not answered its init yet: it has no chunk, and a WorkerPool expects its 'ready'.
    expect(await run({ frames: 3, finish: true, held: new Promise(() => {}) })).toEqual(['released', 'released']);
    // Closed with frames still in the workers (an abort).
    expect(await run({ frames: 12, finish: false })).toEqual(['terminated', 'terminated']);

    // Everything was taken, then a worker failed (its late answer disagrees with the SPS/PPS).
    let start = () => {};
    const started = new Promise<void>((r) => (start = r));
    const other = { ...config, sps: [new Uint8Array([0x67, 0x42, 0, 0x1f])] };
    const late = { started, reply: { type: 'ready', config: other } } as const;
    const fakes = [new LentFake(() => 1, { now: 0, peak: 0 }), new LentFake(() => 1, { now: 0, peak: 0 }, late)];
    let spawned = 0;
    const pool = await ChunkPool.start({ spawn: () => fakes[spawned++], workers: 2, params, backend, chunkFrames: 4, scene: null, config });
    pool.submit(pool.yuvBuffer());
    pool.endInput();
    expect(await drain(pool)).toHaveLength(1);
    start();
    await expect(next(pool)).rejects.toMatchObject({ code: 'ENCODER_FAILED' });
    await pool.close();
    expect(fates(fakes)).toEqual(['terminated', 'terminated']);
  });

  it('a failed pool terminates workers that could be released', async () => {
    class LentFake extends FakeWorker {
      released = false;
      async release(): Promise<void> {
        this.released = true;
      }
    }
    const inFlight = { chunks: new Set<number>(), maxAhead: 0, head: () => 0 };
    const fakes: LentFake[] = [];
    const spawn = () => (fakes.push(new LentFake(() => 1, inFlight, 9)), fakes.at(-1) as LentFake);
    const pool = await ChunkPool.start({ spawn, workers: 2, params, backend, chunkFrames: 4, scene: 'bars' });
    pool.render(0, 20);
    await expect(drain(pool)).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    await pool.close();
    expect(fakes.map((f) => [f.released, f.terminated])).toEqual([[false, true], [false, true]]);
  });

  it('a worker failure rejects wait() with WORKER_FAILED and tells onFailure once', async () => {
    const inFlight = { chunks: new Set<number>(), maxAhead: 0, head: () => 0 };
    const pool = await ChunkPool.start({ spawn: () => new FakeWorker(() => 1, inFlight, 9), workers: 2, params, backend, chunkFrames: 4, scene: 'bars' });
    const seen: string[] = [];
    pool.onFailure = (e) => seen.push(e.code);
    pool.render(0, 20);
    await expect(drain(pool)).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/fake crash/) });
    expect(seen).toEqual(['WORKER_FAILED']);
    await pool.close();
  });
});
