// What the pool needs from a thread: post messages (with transfers), hear messages and failures,
// and stop it. worker_threads implements it in node-transport.ts; a Web Worker adapter can too.
import type { FromWorker, ToWorker } from './protocol.js';

export interface WorkerTransport {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Called for every message from the worker. */
  onMessage(handler: (message: FromWorker) => void): void;
  /**
   * Called once if the worker dies on its own: an uncaught error, `process.exit()` inside it, or
   * any exit the pool did not ask for. A worker that died before the handler was given reports it
   * to the handler at once.
   */
  onFailure(handler: (error: Error) => void): void;
  /** Stops the worker; resolves when it is gone. Safe to call more than once. */
  terminate(): Promise<void>;
  /**
   * The owner is done with the worker after a clean end: no chunk is queued in it or on its way
   * back (the answer to its `init` may be). A pooled worker goes back to its WorkerPool;
   * transports without it are terminated instead.
   */
  release?(): Promise<void>;
  /** Node: whether the thread keeps the process alive (a pool's idle threads do not). */
  keepAlive?(on: boolean): void;
}

/** Starts one worker running the mp4forge encode-worker entry. */
export type WorkerSpawner = () => WorkerTransport;

/**
 * A worker's death on its own, for a transport's onFailure: the first failure is kept and told
 * once, to the handler given before it or, when it came first, to the handler as it is given.
 */
export class FailureSignal {
  private handler: ((error: Error) => void) | null = null;
  /** The first failure, or null. */
  error: Error | null = null;

  /** Records `err` unless a failure is recorded already, and tells the handler if there is one. */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.handler?.(err);
  }

  listen(handler: (error: Error) => void): void {
    this.handler = handler;
    if (this.error) handler(this.error);
  }
}
