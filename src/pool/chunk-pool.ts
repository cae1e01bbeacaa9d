// The main-thread side of the worker pool. Video is cut into GOP-aligned chunks (each starts with
// an IDR on a fresh encoder instance, so chunks are independent); chunks go to whichever worker is
// free, their coded frames stream back and are handed out strictly in frame order. The output is
// therefore the same byte for byte whatever the number of workers or the order they finish in.
//
// Memory is bounded by two windows: in frame mode (frames produced on the main thread) at most
// `window` frames are between submit() and take() (frameWindow); in render mode (workers draw the
// frames) at most `workers` chunks are in flight counting from the oldest one not yet taken.
import { sameAvcConfig, type AvcConfig } from '../encode/avc.js';
import type { BackendInfo, CodedFrame, EncoderParams } from '../encode/backend.js';
import { Mp4ForgeError, type Mp4ForgeErrorCode } from '../errors.js';
import type { FromWorker, ToWorker, WireError } from './protocol.js';
import type { WorkerSpawner, WorkerTransport } from './transport.js';

export interface ChunkPoolOptions {
  spawn: WorkerSpawner;
  workers: number;
  params: EncoderParams;
  /** The backend every worker opens (resolved on the main thread through the registry). */
  backend: BackendInfo;
  /** Frames per chunk (whole GOPs): `chunkFramesFor(gop)`. */
  chunkFrames: number;
  /** Render mode: a scene module URL or pattern name each worker loads; null for frame mode. */
  scene: string | null;
  /** Frame mode: frames allowed between submit() and take(). Default frameWindow(workers, chunkFrames). */
  window?: number;
  /**
   * The SPS/PPS every worker will report (the backend's configFor), or its promise: the workers are
   * spawned first, so they start while it is computed. Given, start() returns as soon as it is
   * known: frames queue for the workers while they start (they are posted, and the window bounds
   * them as ever), and a worker that then fails to start or reports another configuration fails
   * the pool. Not given, start() waits for every worker's configuration.
   */
  config?: AvcConfig | Promise<AvcConfig>;
}

interface Slot {
  transport: WorkerTransport;
  /** Frame mode: frames sent and not yet returned. */
  inFlight: number;
  /** Render mode: the chunk being rendered, or -1. */
  busy: number;
}

interface ChunkState {
  frames: CodedFrame[];
  /** Frames received for this chunk so far (taken or not). */
  received: number;
  done: boolean;
}

export class ChunkPool {
  readonly config: AvcConfig;
  readonly window: number;
  /** Told once when the pool fails on its own (a worker error or crash), so the owner can tear down at once. */
  onFailure: ((error: Mp4ForgeError) => void) | null = null;
  private readonly chunks = new Map<number, ChunkState>();
  private readonly renderQueue: { chunk: number; start: number; count: number }[] = [];
  private readonly freeYuv: Uint8Array[] = [];
  private waiters: { resolve: () => void; reject: (e: Mp4ForgeError) => void }[] = [];
  /** Something happened while nobody waited: the next wait() returns at once. */
  private signalled = false;
  private head = 0;
  private submitted = 0;
  private taken = 0;
  private openChunk = -1;
  private openSlot: Slot | null = null;
  private failure: Mp4ForgeError | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly slots: Slot[],
    private readonly opts: ChunkPoolOptions,
    config: AvcConfig,
  ) {
    this.config = config;
    this.window = opts.window ?? frameWindow(opts.workers, opts.chunkFrames);
    for (const slot of slots) {
      slot.transport.onMessage((m) => this.onMessage(slot, m));
      slot.transport.onFailure((err) => this.setFailure(workerCrashed(err)));
    }
  }

  /**
   * Starts the workers; waits until each has loaded the encoder (and the scene) unless
   * `opts.config` says what they will report.
   */
  static async start(opts: ChunkPoolOptions): Promise<ChunkPool> {
    const slots: Slot[] = [];
    try {
      for (let i = 0; i < opts.workers; i++) slots.push({ transport: opts.spawn(), inFlight: 0, busy: -1 });
      if (opts.config) {
        // Handlers first (the constructor), then init: a worker's 'ready' or 'error' reaches onMessage.
        // A worker that dies before then is reported when the constructor asks (WorkerTransport.onFailure).
        const pool = new ChunkPool(slots, opts, await opts.config);
        for (const s of slots) s.transport.post(initMessage(opts));
        return pool;
      }
      const configs = await Promise.all(slots.map((s) => initWorker(s.transport, opts)));
      for (const c of configs) {
        if (!sameAvcConfig(c, configs[0])) throw differentConfig("another worker's");
      }
      return new ChunkPool(slots, opts, configs[0]);
    } catch (err) {
      await Promise.all(slots.map((s) => s.transport.terminate().catch(() => undefined)));
      throw err;
    }
  }

  /** Frames submitted or scheduled and not yet taken. */
  get pending(): number {
    return this.submitted - this.taken;
  }

  /** Frame mode: true when submit() may be called now. */
  hasRoom(): boolean {
    return this.pending < this.window;
  }

  /** Frame mode: an I420 buffer of the right size to fill, recycled from the workers when possible. */
  yuvBuffer(): Uint8Array {
    const { width, height } = this.opts.params;
    return this.freeYuv.pop() ?? new Uint8Array((width * height * 3) / 2);
  }

  /** Frame mode: sends one I420 frame (its buffer is transferred; do not touch it afterwards). */
  submit(yuv: Uint8Array): void {
    this.throwIfFailed();
    const index = this.submitted;
    if (index % this.opts.chunkFrames === 0) {
      this.endInput();
      const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      this.openChunk = index / this.opts.chunkFrames;
      this.openSlot = slot;
      this.chunks.set(this.openChunk, { frames: [], received: 0, done: false });
      slot.transport.post({ type: 'begin', chunk: this.openChunk });
    }
    const slot = this.openSlot as Slot;
    slot.inFlight++;
    this.submitted++;
    slot.transport.post({ type: 'frame', chunk: this.openChunk, yuv }, [yuv.buffer as ArrayBuffer]);
  }

  /** Frame mode: closes the chunk being filled (at the end of the input). */
  endInput(): void {
    if (!this.openSlot) return;
    this.openSlot.transport.post({ type: 'end', chunk: this.openChunk });
    this.openSlot = null;
  }

  /** Render mode: schedules frames [start, start + count), which must continue the frames so far. */
  render(start: number, count: number): void {
    this.throwIfFailed();
    const f = this.opts.chunkFrames;
    let i = start;
    while (i < start + count) {
      const chunk = Math.floor(i / f);
      const end = Math.min(start + count, (chunk + 1) * f);
      this.renderQueue.push({ chunk, start: i, count: end - i });
      i = end;
    }
    this.submitted += count;
    this.dispatch();
  }

  /** Coded frames ready in frame order (possibly none). */
  take(): CodedFrame[] {
    const out: CodedFrame[] = [];
    const head = this.head;
    for (;;) {
      const c = this.chunks.get(this.head);
      if (!c) break;
      for (const f of c.frames) out.push(f);
      c.frames = [];
      if (!c.done) break;
      this.chunks.delete(this.head);
      this.head++;
    }
    this.taken += out.length;
    if (this.head !== head) this.dispatch(); // the window moved: more chunks may start
    return out;
  }

  /** True when everything submitted has been taken and no chunk is open or queued. */
  get idle(): boolean {
    return this.pending === 0 && this.chunks.size === 0 && this.renderQueue.length === 0 && !this.openSlot;
  }

  /** Resolves at the next event (frames arrived, a chunk finished); rejects when the pool failed. */
  wait(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Lets go of every worker. After a clean end (no failure, every chunk done and taken) no worker
   * has work of this pool queued, and a transport that can be released is (a WorkerPool's thread
   * goes back to it; at most the answer to its init is still to come, which the WorkerPool
   * expects). Otherwise, or for other transports, the worker is terminated. Safe to call more than
   * once; resolves when every thread is gone or back.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const clean = this.failure === null && this.idle;
      this.failure ??= new Mp4ForgeError('WRITER_CLOSED', 'The worker pool was closed');
      this.wake();
      const letGo = (t: WorkerTransport) => (clean && t.release ? t.release() : t.terminate());
      await Promise.all(this.slots.map((s) => letGo(s.transport).catch(() => undefined)));
    })();
    return this.closing;
  }

  private dispatch(): void {
    if (this.failure) return;
    // Chunks head .. head+workers-1 only: besides the chunk being muxed, at most workers-1 finished
    // chunks wait for it (one GOP of coded frames per extra worker).
    const limit = this.head + this.slots.length;
    while (this.renderQueue.length > 0 && this.renderQueue[0].chunk < limit) {
      const slot = this.slots.find((s) => s.busy < 0);
      if (!slot) return;
      const job = this.renderQueue.shift() as (typeof this.renderQueue)[number];
      slot.busy = job.chunk;
      this.chunks.set(job.chunk, { frames: [], received: 0, done: false });
      slot.transport.post({ type: 'render', chunk: job.chunk, start: job.start, count: job.count });
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (this.failure) return;
    switch (m.type) {
      case 'coded': {
        const c = this.chunks.get(m.chunk);
        if (!c) return this.setFailure(new Mp4ForgeError('WORKER_FAILED', `a worker sent frames for chunk ${m.chunk}, which is not in flight`));
        for (const f of m.frames) c.frames.push({ data: f.data, keyframe: f.keyframe });
        c.received += m.frames.length;
        if (m.yuv) {
          slot.inFlight--;
          if (this.freeYuv.length < this.window) this.freeYuv.push(m.yuv);
        }
        break;
      }
      case 'done': {
        const c = this.chunks.get(m.chunk);
        if (!c || c.received !== m.frames) {
          return this.setFailure(
            new Mp4ForgeError('WORKER_FAILED', `chunk ${m.chunk} ended with ${c?.received ?? 0} frames received, but the worker sent ${m.frames}`),
          );
        }
        c.done = true;
        if (slot.busy === m.chunk) slot.busy = -1;
        this.dispatch();
        break;
      }
      case 'error':
        return this.setFailure(fromWire(m.error));
      case 'ready':
        // Known already (opts.config) or checked in start(): here a worker must agree with it.
        if (!sameAvcConfig(m.config, this.config)) return this.setFailure(differentConfig('the SPS/PPS the main thread derived from them'));
        return;
    }
    this.wake();
  }

  private setFailure(e: Mp4ForgeError): void {
    if (this.failure) return;
    this.failure = e;
    this.wake();
    this.onFailure?.(e);
  }

  private wake(): void {
    if (this.waiters.length === 0) this.signalled = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/** Frame mode: how many frames the worker that follows the head may hold beyond the head's. */
const FOLLOW_FRAMES = 4;

/**
 * Frame mode's window: frames between submit() and take(), each holding an I420 buffer.
 *
 * Frames arrive in order and a chunk goes whole to one worker, so a worker can start chunk k+1
 * only once chunk k's frames have all been sent. From then on the worker on the oldest chunk (the
 * head) hands its frames out as it codes them, and each frame taken from it lets one more frame go
 * to the worker filling the newest chunk, which so keeps pace with the head a few frames ahead;
 * the workers between hold whole chunks. Every worker stays busy with `workers − 1` chunks plus
 * those few frames in flight (one worker: just the few). When the head's chunk ends, the next
 * worker's coded frames go out at once and the window reopens for the next chunk. A whole chunk
 * more (`workers × chunkFrames`, the window before) bought no speed, in a simulation of this
 * schedule or on the test machine, and held one more chunk of frames (60 frames of 1080p I420 are
 * 187 MB).
 */
function frameWindow(workers: number, chunkFrames: number): number {
  return (workers - 1) * chunkFrames + FOLLOW_FRAMES;
}

function initWorker(t: WorkerTransport, opts: ChunkPoolOptions): Promise<AvcConfig> {
  return new Promise((resolve, reject) => {
    t.onMessage((m) => {
      if (m.type === 'ready') resolve(m.config);
      else if (m.type === 'error') reject(fromWire(m.error));
    });
    t.onFailure((err) => reject(workerCrashed(err)));
    t.post(initMessage(opts));
  });
}

function initMessage(opts: ChunkPoolOptions): ToWorker {
  return { type: 'init', backend: opts.backend, params: opts.params, chunkFrames: opts.chunkFrames, scene: opts.scene };
}

/** A worker's SPS/PPS differ from `other` for the same parameters: the encoder is not deterministic, or two builds met. */
function differentConfig(other: string): Mp4ForgeError {
  return new Mp4ForgeError('ENCODER_FAILED', `An encode worker produced SPS/PPS that differ from ${other} for the same parameters; they must be equal`);
}

function workerCrashed(err: Error): Mp4ForgeError {
  return new Mp4ForgeError('WORKER_FAILED', `An encode worker failed: ${err.message}`, { cause: err });
}

function fromWire(e: WireError): Mp4ForgeError {
  return new Mp4ForgeError(e.code as Mp4ForgeErrorCode, e.message, e.frameIndex === undefined ? {} : { details: { frameIndex: e.frameIndex } });
}
