// Where a render is: finished (from mp4forge's record), or still in BullMQ (waiting for its
// segments, stitching), or unknown to this queue.
import { Queue } from 'bullmq';
import { Mp4ForgeError, type Mp4ForgeErrorCode } from './core.js';
import { bullConnection, connectRedis, keys, resolveLocation, type QueueLocation } from './connection.js';
import type { StitchJobData } from './flow.js';
import { JOB_ID } from './job.js';
import { readRecord, type RenderResult } from './records.js';

/** A render's state as `getRenderStatus` sees it. */
export interface RenderStatus {
  id: string;
  /**
   * `rendering`: segments are being rendered (or wait for a worker); `stitching`: the stitch job is
   * waiting or running; `completed` / `failed`: finished (remembered for `keepSeconds`);
   * `unknown`: never submitted to this queue, or forgotten.
   */
  state: 'rendering' | 'stitching' | 'completed' | 'failed' | 'unknown';
  /** While rendering: segments done and in all. */
  segments?: { done: number; total: number };
  result?: RenderResult;
  error?: { code: Mp4ForgeErrorCode; message: string };
}

/**
 * The state of render `id` (as returned by submitRender or `mp4forge queue submit`).
 *
 * @throws Mp4ForgeError `QUEUE_UNAVAILABLE` when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function getRenderStatus(id: string, location: QueueLocation): Promise<RenderStatus> {
  const loc = resolveLocation(location);
  if (typeof id !== 'string' || !JOB_ID.test(id)) {
    throw new Mp4ForgeError('INVALID_OPTION', `a render id looks like mp4f- and 32 hex digits, got ${JSON.stringify(id)}`);
  }
  const redis = await connectRedis(loc);
  const queue = new Queue(loc.queue, { connection: bullConnection(loc), prefix: loc.prefix });
  queue.on('error', () => undefined);
  try {
    const record = await readRecord(redis, keys(loc).result(id));
    if (record?.state === 'completed') return { id, state: 'completed', result: record.result };
    if (record?.state === 'failed') return { id, state: 'failed', error: record.error };
    const job = await queue.getJob(id);
    if (!job) return { id, state: 'unknown' };
    const state = await job.getState();
    if (state === 'waiting-children') {
      const deps = await job.getDependenciesCount();
      const total = (job.data as StitchJobData).n;
      return { id, state: 'rendering', segments: { done: deps.processed ?? 0, total } };
    }
    return { id, state: 'stitching' };
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}
