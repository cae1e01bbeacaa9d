// Where workers come from in the workerd build: nowhere. A Worker isolate has one thread and no
// Worker constructor, so `workers` > 0 is refused; 'auto' means 1 core, i.e. encode in the isolate.
import { Mp4ForgeError } from '../errors.js';
import type { WorkerSpawner } from './transport.js';

/** One: a workerd isolate runs on one thread. */
export async function availableCores(): Promise<number> {
  return 1;
}

export async function workerSpawner(): Promise<WorkerSpawner> {
  throw new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    'workers: Cloudflare Workers and edge functions run one thread and cannot start workers; use workers: 0 (the default of createMp4Writer)',
  );
}
