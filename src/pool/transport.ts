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
}

/** Starts one worker running the mp4forge encode-worker entry. */
export type WorkerSpawner = () => WorkerTransport;
