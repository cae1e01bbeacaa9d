// Encode workers that outlive one file. A writer with `workers: n` starts n threads and stops them
// when it ends; starting a thread costs a Node worker 100–300 ms on a 2-core machine (its own
// isolate and bootstrap), which is a tenth of a 480-frame 720p encode with 2 workers. A WorkerPool
// starts its threads once and lends all of them to one writer at a time: the writer's ChunkPool
// gets them through `lend()` as it would spawn fresh ones, sends each its `init` (the worker opens
// a new encoder for the new parameters), and gives them back when it ends.
//
// A thread comes back to the pool only when the writer ended cleanly (every chunk done and taken;
// ChunkPool.close decides): then no work of that writer is queued in it or on its way back, but
// the answer to its init may be, when the file ended before that thread had started (a short
// file: one chunk, and the second worker still booting). The pool counts each thread's
// unanswered inits and drops such stale answers, so the next writer hears only the answer to its
// own. Anything else (a failure, an abort, a close mid-stream) is terminated; the pool starts a
// new thread at the next lend, and counts it in `threadsStarted`.
import { Mp4ForgeError } from '../errors.js';
import { refuse } from '../validate.js';
import { availableCores, workerSpawner } from './host.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { FailureSignal, type WorkerSpawner, type WorkerTransport } from './transport.js';

/** What {@link createWorkerPool} takes. */
export interface WorkerPoolOptions {
  /** Workers a writer gets: an integer from 1 to 256, or 'auto' (the default) for one per available core. */
  workers?: number | 'auto';
}

/**
 * Starts encode workers that serve one writer after another, so that a program writing many files
 * with workers starts their threads once (a Node worker thread takes 100–300 ms to start). Give
 * the pool as `workers` to {@link createMp4Writer} or {@link renderVideo}; a pool serves one writer
 * at a time (a second one opened while the first has not ended is refused with INVALID_OPTION).
 * The output is the same as with `workers` set to the pool's size. Idle threads do not keep a Node
 * process alive; {@link WorkerPool.close} stops them. Cloudflare Workers and edge functions have no
 * threads: there it rejects with UNSUPPORTED_RUNTIME.
 *
 * @example
 * const pool = await createWorkerPool({ workers: 2 });
 * for (const name of ['a', 'b']) {
 *   const writer = await createMp4Writer({ width: 640, height: 360, fps: 30, output: `${name}.mp4`, workers: pool });
 *   await writer.addFrames(120, 'plasma');
 *   await writer.finish();
 * }
 * await pool.close();
 */
export async function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  if (options === null || typeof options !== 'object') {
    throw new Mp4ForgeError('INVALID_OPTION', 'createWorkerPool takes an options object, e.g. { workers: 2 }');
  }
  const w = options.workers === undefined ? 'auto' : options.workers;
  if (w !== 'auto' && (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 256)) throw refuse('workers', "'auto' or an integer from 1 to 256", w);
  const spawn = await workerSpawner();
  return new WorkerPool(w === 'auto' ? await availableCores() : w, spawn);
}

/**
 * Encode workers kept between files: give it as `workers` to {@link createMp4Writer} or
 * {@link renderVideo}, one writer at a time, and its threads are started once instead of per file.
 * Create it with {@link createWorkerPool}; {@link WorkerPool.close} stops its threads. Idle threads
 * do not keep a Node process alive.
 */
export class WorkerPool {
  /** Threads idle in the pool, started and not lent. */
  private readonly idle: PooledThread[] = [];
  private lease: Lease | null = null;
  private closed = false;
  private started = 0;

  /** @internal Use {@link createWorkerPool}. */
  constructor(
    /** How many workers a writer gets. */
    readonly workers: number,
    private readonly spawn: WorkerSpawner,
  ) {
    for (let i = 0; i < workers; i++) this.idle.push(this.startThread());
  }

  /**
   * Threads started over the pool's life: `workers` at first, more only where threads were
   * replaced (after a writer that failed or was aborted, or a thread that died).
   */
  get threadsStarted(): number {
    return this.started;
  }

  /** True while a writer holds the pool's workers. */
  get busy(): boolean {
    return this.lease !== null;
  }

  /**
   * Stops the pool: idle threads at once (resolves when they are gone); threads lent to a writer
   * when that writer ends. Safe to call more than once.
   */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.idle.splice(0);
    await Promise.all(threads.map((t) => t.transport.terminate().catch(() => undefined)));
  }

  /**
   * @internal The pool's threads for one writer: a spawner that hands out idle threads (starting
   * one where a thread died while idle), and `end()` once the writer let go of every thread.
   */
  lend(): { spawn: WorkerSpawner; end: () => void } {
    if (this.closed) throw new Mp4ForgeError('INVALID_OPTION', 'workers: this WorkerPool was closed; create another one with createWorkerPool()');
    if (this.lease) {
      throw new Mp4ForgeError(
        'INVALID_OPTION',
        'workers: this WorkerPool is lent to a writer that has not ended; a pool serves one writer at a time (finish or abort that writer first, or create another pool)',
      );
    }
    const lease: Lease = {};
    this.lease = lease;
    const spawn: WorkerSpawner = () => {
      let thread = this.idle.shift();
      while (thread?.dead) {
        void thread.transport.terminate().catch(() => undefined);
        thread = this.idle.shift();
      }
      thread ??= this.startThread();
      thread.transport.keepAlive?.(true);
      return new LentTransport(thread, (t) => this.giveBack(t));
    };
    const end = () => {
      if (this.lease === lease) this.lease = null;
    };
    return { spawn, end };
  }

  private startThread(): PooledThread {
    const transport = this.spawn();
    this.started++;
    const thread: PooledThread = { transport, dead: false, unanswered: 0, onMessage: null, onFailure: null };
    // One listener each for the thread's life; the writer holding it now gets what they hear.
    transport.onMessage((m) => {
      if ((m.type === 'ready' || m.type === 'error') && thread.unanswered > 0) {
        // The worker answers inits in order: while an earlier one is unanswered, this is its answer.
        if (--thread.unanswered > 0) {
          // That init failed: the worker ignores everything after a failure, the next init too.
          if (m.type === 'error') failThread(thread, new Error(`the worker failed to open a writer before this one: ${m.error.message}`));
          return;
        }
      }
      thread.onMessage?.(m);
    });
    transport.onFailure((err) => failThread(thread, err));
    transport.keepAlive?.(false);
    return thread;
  }

  /** A writer ended cleanly with this thread: idle again, or stopped if the pool closed meanwhile. */
  private async giveBack(thread: PooledThread): Promise<void> {
    thread.onMessage = null;
    thread.onFailure = null;
    if (this.closed || thread.dead) {
      await thread.transport.terminate();
      return;
    }
    thread.transport.keepAlive?.(false);
    this.idle.push(thread);
  }
}

/** A pooled thread is of no more use: idle, it is replaced at the next lend; lent, its writer is told. */
function failThread(thread: PooledThread, err: Error): void {
  thread.dead = true;
  thread.onFailure?.(err);
}

interface PooledThread {
  transport: WorkerTransport;
  /** Died on its own, or failed (while idle, or lent and then reported to the writer). */
  dead: boolean;
  /** Inits posted to the worker and not answered yet ('ready' or 'error'). */
  unanswered: number;
  onMessage: ((message: FromWorker) => void) | null;
  onFailure: ((error: Error) => void) | null;
}

/** One writer's hold on the pool (compared by identity: `end()` of an old lease frees nothing). */
type Lease = object;

/** A pooled thread as one writer sees it: terminate() stops it for good, release() gives it back. */
class LentTransport implements WorkerTransport {
  private readonly failure = new FailureSignal();
  private gone = false;

  constructor(
    private readonly thread: PooledThread,
    private readonly back: (thread: PooledThread) => Promise<void>,
  ) {
    thread.onFailure = (err) => this.failure.fail(err);
  }

  post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.gone) return;
    if (message.type === 'init') this.thread.unanswered++;
    this.thread.transport.post(message, transfer);
  }

  onMessage(handler: (message: FromWorker) => void): void {
    this.thread.onMessage = handler;
  }

  onFailure(handler: (error: Error) => void): void {
    this.failure.listen(handler);
  }

  keepAlive(on: boolean): void {
    this.thread.transport.keepAlive?.(on);
  }

  async terminate(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    this.thread.onMessage = null;
    this.thread.onFailure = null;
    await this.thread.transport.terminate();
  }

  async release(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    await this.back(this.thread);
  }
}
