// Where worker threads come from on this platform. Node: worker_threads, loaded only when workers
// are asked for. The browser build swaps in host.browser.ts (see tsup.config.ts).
import type { WorkerSpawner } from './transport.js';

/** Cores available to this process (what `workers: 'auto'` means). */
export async function availableCores(): Promise<number> {
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Starts worker threads running src/pool/encode-worker.ts. */
export async function workerSpawner(): Promise<WorkerSpawner> {
  const { spawnNodeWorker } = await import('./node-transport.js');
  return spawnNodeWorker;
}
