// Entry point of a browser encode worker (a module Web Worker; built as dist/encode-worker.browser.js
// and started by web-transport.ts). The same worker body as Node's worker threads.
import type { FromWorker, ToWorker } from './protocol.js';
import { runEncodeWorker } from './worker-core.js';

/** The part of DedicatedWorkerGlobalScope used here (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', handler: (event: MessageEvent<ToWorker>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
runEncodeWorker({
  post: (message, transfer) => scope.postMessage(message, transfer ?? []),
  onMessage: (handler) => scope.addEventListener('message', (event) => handler(event.data)),
});
