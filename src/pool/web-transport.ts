// Module Web Workers behind the WorkerTransport interface: the browser build's worker pool. Each
// worker runs dist/encode-worker.browser.js (src/pool/encode-worker.browser.ts). The script is named
// as `new Worker(new URL('./encode-worker.browser.js', import.meta.url), { type: 'module' })`, the
// form Vite, webpack and Parcel recognise: they bundle the worker with the application.
import type { FromWorker, ToWorker } from './protocol.js';
import { FailureSignal, type WorkerSpawner, type WorkerTransport } from './transport.js';

class WebWorkerTransport implements WorkerTransport {
  private readonly worker: Worker;
  private readonly failure = new FailureSignal();
  private terminated = false;

  constructor() {
    this.worker = new Worker(new URL('./encode-worker.browser.js', import.meta.url), { type: 'module', name: 'mp4forge-encode' });
    // A script that cannot load, or an error nothing caught inside the worker (the worker's own
    // code reports failures as messages, so this is a crash).
    this.worker.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      this.fail(new Error(e.message || 'the encode worker could not start (its script failed to load or threw)'));
    });
    this.worker.addEventListener('messageerror', () => this.fail(new Error('a message from the encode worker could not be deserialised')));
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.failure.error || this.terminated) return;
    this.worker.postMessage(message, transfer);
  }

  onMessage(handler: (message: FromWorker) => void): void {
    this.worker.addEventListener('message', (e: MessageEvent<FromWorker>) => handler(e.data));
  }

  onFailure(handler: (error: Error) => void): void {
    this.failure.listen(handler);
  }

  /** Web Workers stop at once and report no exit, so there is nothing to wait for. */
  async terminate(): Promise<void> {
    this.terminated = true;
    this.worker.terminate();
  }

  private fail(err: Error): void {
    if (!this.terminated) this.failure.fail(err);
  }
}

export const spawnWebWorker: WorkerSpawner = () => new WebWorkerTransport();
