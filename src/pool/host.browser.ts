// The browser build has no worker pool yet (the transport interface is ready for a Web Worker
// adapter); mp4forge itself runs inside a Web Worker instead (README "Browser").
import { Mp4ForgeError } from '../errors.js';
import type { WorkerSpawner } from './transport.js';

export async function availableCores(): Promise<number> {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}

export async function workerSpawner(): Promise<WorkerSpawner> {
  throw new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    'workers (and renderVideo, which draws in workers) are Node-only for now; in a browser, run createMp4Writer inside a Web Worker with workers: 0',
  );
}
