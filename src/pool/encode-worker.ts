// Entry point of a Node worker_threads encode worker (built as dist/encode-worker.js).
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';
import { runEncodeWorker } from './worker-core.js';

const port = parentPort;
if (!port) throw new Error('mp4forge encode-worker must run inside a worker thread');
runEncodeWorker({
  post: (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer ?? []),
  onMessage: (handler: (message: ToWorker) => void) => port.on('message', handler),
});
