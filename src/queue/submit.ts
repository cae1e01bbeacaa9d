// Submitting a render: one BullMQ flow (a stitch job over n segment jobs), idempotent through the
// job's hash, and a handle that follows it through the queue's event stream.
import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { stat } from 'node:fs/promises';
import { checkJob, Mp4ForgeError } from './core.js';
import { bullConnection, connectRedis, keys, resolveLocation, type QueueLocation, type ResolvedLocation } from './connection.js';
import { renderFlow, type SegmentProgress } from './flow.js';
import { jobId, normalizeJob, segmentJobId, type RenderJob } from './job.js';
import { decodeFailure, readRecord, type JobRecord, type RenderResult } from './records.js';
import type { SegmentStore } from './store.js';

export interface SubmitRenderOptions extends QueueLocation {
  /** How many segment jobs to split the video into (at most the number of encoder chunks). */
  segments: number;
  /** The workers' segment store, if this process can reach it: parts left by an earlier failed run of the same job are removed before it is queued again. */
  store?: SegmentStore;
  /** Tries per job (segment or stitch) before the render fails. Default 3. */
  attempts?: number;
  /** First retry delay; doubles at each retry. Default 1000 ms. */
  backoffMs?: number;
  /** How long Redis remembers the outcome (for status, and so that resubmitting does not render again). Default 7 days. */
  keepSeconds?: number;
  /** Follow the job (progress, result). Default true; false only submits, and the handle's result() is unavailable. */
  watch?: boolean;
  onProgress?: (progress: RenderProgress) => void;
}

/** How far a render has got. */
export interface RenderProgress {
  id: string;
  segments: number;
  segmentsDone: number;
  frames: number;
  framesDone: number;
  /** True once the stitch job has started. */
  stitching: boolean;
}

/** A submitted render. */
export interface RenderHandle {
  readonly id: string;
  /**
   * `'queued'`: put on the queue now. `'running'`: the same job (same hash) was already on the
   * queue, and this handle follows it. `'done'`: it had finished and its file is still there;
   * nothing is rendered again.
   */
  readonly status: 'queued' | 'running' | 'done';
  /** The final file; rejects with the failure's Mp4ForgeError (its code, e.g. USER_CALLBACK_FAILED, and message). */
  result(): Promise<RenderResult>;
  /** Stops following the job (it goes on in the queue) and closes the connections. */
  close(): Promise<void>;
}

/**
 * Puts a render on the queue as one BullMQ flow: `segments` segment jobs, then a stitch job that
 * BullMQ starts only when all of them have completed. The job's id is a hash of the job, so
 * submitting the same job again follows the first one, or returns its result if it is done.
 *
 * @throws Mp4ForgeError `INVALID_OPTION` (checked before anything is queued),
 *   `QUEUE_UNAVAILABLE` when Redis cannot be reached within `connectTimeoutMs`.
 *
 * @example
 * const render = await submitRender(
 *   { width: 1280, height: 720, fps: 30, frames: 9000, scene: 'file:///shared/scene.js', audio: '/shared/song.mp3', output: '/shared/out.mp4' },
 *   { connection: 'redis://127.0.0.1:6379', segments: 8, onProgress: (p) => console.log(p.framesDone, '/', p.frames) },
 * );
 * const { output, bytes } = await render.result();
 */
export async function submitRender(job: RenderJob, options: SubmitRenderOptions): Promise<RenderHandle> {
  const loc = resolveLocation(options, ['segments', 'store', 'attempts', 'backoffMs', 'keepSeconds', 'watch', 'onProgress']);
  const spec = normalizeJob(job);
  const n = options.segments;
  if (!Number.isSafeInteger(n) || n < 1) throw new Mp4ForgeError('INVALID_OPTION', `segments must be a positive integer, got ${JSON.stringify(n)}`);
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const keepSeconds = options.keepSeconds ?? 7 * 86400;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new Mp4ForgeError('INVALID_OPTION', `attempts must be a positive integer, got ${JSON.stringify(attempts)}`);
  }
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new Mp4ForgeError('INVALID_OPTION', `backoffMs must be ≥ 0, got ${JSON.stringify(backoffMs)}`);
  if (!Number.isSafeInteger(keepSeconds) || keepSeconds < 1) {
    throw new Mp4ForgeError('INVALID_OPTION', `keepSeconds must be a positive integer, got ${JSON.stringify(keepSeconds)}`);
  }
  await checkJob(spec, n);
  const id = jobId(spec, n);

  const redis = await connectRedis(loc);
  const resultKey = keys(loc).result(id);
  const connection = bullConnection(loc);
  const closers: (() => Promise<unknown> | void)[] = [() => redis.disconnect()];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const previous = await readRecord(redis, resultKey);
    if (previous?.state === 'completed' && (await sizeOf(previous.result.output)) === previous.result.bytes) {
      await closeAll();
      return doneHandle(id, previous.result);
    }
    // Subscribe before adding, so that not even a very fast render's events are missed.
    let events: QueueEvents | undefined;
    if (options.watch !== false) {
      events = new QueueEvents(loc.queue, { connection, prefix: loc.prefix });
      closers.push(() => events?.close());
      events.on('error', () => undefined); // reconnects by itself; the poll below covers a gap
      await events.waitUntilReady();
    }
    const queue = new Queue(loc.queue, { connection, prefix: loc.prefix });
    closers.push(() => queue.close());
    queue.on('error', () => undefined);
    let status: RenderHandle['status'] = 'running';
    if ((await queue.getJobState(id)) === 'unknown') {
      if (previous) await redis.del(resultKey); // failed before, or its file is gone: render again
      await options.store?.remove(id);
      const producer = new FlowProducer({ connection, prefix: loc.prefix });
      try {
        await producer.add(renderFlow(id, spec, n, { queue: loc.queue, prefix: loc.prefix, attempts, backoffMs, keepSeconds }));
      } finally {
        await producer.close();
      }
      status = 'queued';
    }
    await queue.close();
    if (!events) {
      await closeAll();
      return {
        id,
        status,
        result: () => Promise.reject(new Mp4ForgeError('INVALID_OPTION', 'result() needs a handle submitted with watch: true')),
        close: async () => undefined,
      };
    }
    return followHandle(id, status, spec, n, events, redis, resultKey, loc, options.onProgress, closeAll);
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function doneHandle(id: string, result: RenderResult): RenderHandle {
  return { id, status: 'done', result: async () => result, close: async () => undefined };
}

function followHandle(
  id: string,
  status: RenderHandle['status'],
  job: RenderJob,
  n: number,
  events: QueueEvents,
  redis: Redis,
  resultKey: string,
  loc: ResolvedLocation,
  onProgress: ((p: RenderProgress) => void) | undefined,
  closeAll: () => Promise<void>,
): RenderHandle {
  const children = new Map(Array.from({ length: n }, (_, i) => [segmentJobId(id, i + 1, n), i + 1]));
  const framesByPart = new Map<number, number>();
  const donePart = new Set<number>();
  let stitching = false;
  const report = () => {
    let framesDone = 0;
    for (const f of framesByPart.values()) framesDone += f;
    try {
      onProgress?.({ id, segments: n, segmentsDone: donePart.size, frames: job.frames, framesDone, stitching });
    } catch {
      // a progress callback must not break the handle
    }
  };

  let settle!: { resolve: (r: RenderResult) => void; reject: (e: unknown) => void };
  const outcome = new Promise<RenderResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  outcome.catch(() => undefined); // rejection is observed through result()
  let settled = false;
  const finish = (record: JobRecord | { state: 'failed'; error: { code: string; message: string } }) => {
    if (settled) return;
    settled = true;
    clearInterval(poll);
    void closeAll();
    if (record.state === 'completed') settle.resolve(record.result);
    else settle.reject(failure(id, record.error.code, record.error.message));
  };

  events.on('progress', ({ jobId, data }) => {
    const k = children.get(jobId);
    if (k === undefined || !data || typeof data !== 'object') return;
    framesByPart.set(k, (data as SegmentProgress).frames);
    report();
  });
  events.on('completed', ({ jobId, returnvalue }) => {
    if (jobId === id) {
      finish({ state: 'completed', id, finishedAt: Date.now(), result: returnvalue as unknown as RenderResult });
      return;
    }
    const k = children.get(jobId);
    if (k === undefined) return;
    const r = returnvalue as unknown as { frames?: number } | undefined;
    if (typeof r?.frames === 'number') framesByPart.set(k, r.frames);
    donePart.add(k);
    report();
  });
  events.on('active', ({ jobId }) => {
    if (jobId !== id) return;
    stitching = true;
    report();
  });
  events.on('failed', ({ jobId, failedReason }) => {
    if (jobId === id) finish({ state: 'failed', error: decodeFailure(failedReason) });
  });
  // The event stream is the fast path; the stored outcome is the truth (and covers a job that
  // finished before this handle subscribed, or events lost while reconnecting).
  const check = async () => {
    const record = await readRecord(redis, resultKey).catch(() => null);
    if (record) finish(record);
  };
  const poll = setInterval(() => void check(), 2000);
  void check();

  return {
    id,
    status,
    result: () => outcome,
    async close() {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      await closeAll();
      settle.reject(new Mp4ForgeError('ABORTED', `stopped following job ${id} (it goes on in the queue at ${loc.where})`, { details: { jobId: id } }));
    },
  };
}

function failure(id: string, code: string, message: string): Mp4ForgeError {
  return new Mp4ForgeError(code as Mp4ForgeError['code'], message, { details: { jobId: id } });
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}
