// Where workers come from in the browser build: module Web Workers (web-transport.ts, loaded only
// when workers are asked for), as many as navigator.hardwareConcurrency for 'auto'.
import type { WorkerSpawner } from './transport.js';

/** Logical processors the browser reports (what `workers: 'auto'` means); 1 where it reports none. */
export async function availableCores(): Promise<number> {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/** Starts module Web Workers running src/pool/encode-worker.browser.ts. */
export async function workerSpawner(): Promise<WorkerSpawner> {
  const { spawnWebWorker } = await import('./web-transport.js');
  return spawnWebWorker;
}
