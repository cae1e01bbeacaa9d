// A render worker: takes segment and stitch jobs off the queue. Rendering is single-threaded WASM
// that yields to the event loop every 50 ms, so BullMQ's lock renewal keeps running while a segment
// renders; a worker that dies stops renewing, and after `lockMs` another worker's stalled-job check
// puts its job back on the queue.
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { stat } from 'node:fs/promises';
import { Mp4ForgeError, renderPart, stitchParts } from './core.js';
import { bullConnection, connectRedis, keys, resolveLocation, type QueueLocation } from './connection.js';
import { SEGMENT, STITCH, type SegmentJobData, type SegmentProgress, type StitchJobData } from './flow.js';
import { acquireOutputLock, decodeFailure, encodeFailure, readRecord, writeRecord, type RenderResult } from './records.js';
import type { PartWriter, SegmentStore } from './store.js';

export interface RenderWorkerOptions extends QueueLocation {
  /** Where parts are written and read; every worker of a queue must see the same store. */
  store: SegmentStore;
  /**
   * Jobs this process works on at once. Default 1: encoding is single-threaded, so run one worker
   * process per core rather than raising this (it helps only while jobs wait on I/O).
   */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal: a worker that dies (SIGKILL, power) gives its job
   * back to the queue after about this long, when another worker's stalled-job check sees it.
   * Default 30000 ms (BullMQ's).
   */
  lockMs?: number;
  /** Told what the worker does, for logs (the CLI prints these). */
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports. `kind` is the job kind; `k`/`n` are set for segments. */
export type WorkerEvent =
  | { event: 'ready'; queue: string; redis: string; concurrency: number; store: string }
  | { event: 'start'; kind: 'segment' | 'stitch'; id: string; k?: number; n: number; attempt: number }
  | { event: 'done'; kind: 'segment' | 'stitch'; id: string; k?: number; n: number; frames: number; bytes: number; elapsedSeconds: number }
  | { event: 'skipped'; kind: 'segment' | 'stitch'; id: string; k?: number; n: number; reason: string }
  | { event: 'failed'; kind: 'segment' | 'stitch'; id: string; k?: number; n: number; attempt: number; code: string; message: string }
  | { event: 'handed-back'; kind: 'segment'; id: string; k: number; n: number }
  | { event: 'stalled'; jobId: string }
  | { event: 'error'; message: string };

/** A running worker. */
export interface RenderWorker {
  /**
   * Stops taking jobs; segments being rendered are handed back to the queue at once (another
   * worker renders them; nothing is counted as a failed attempt), a stitch being written is
   * finished. Resolves when the worker has let go of everything.
   */
  stop(): Promise<{ handedBack: number; completed: number }>;
}

/**
 * Starts a worker that renders segment jobs into the store and stitches finished renders.
 *
 * @throws Mp4ForgeError `QUEUE_UNAVAILABLE` when Redis cannot be reached within `connectTimeoutMs`.
 *
 * @example
 * const worker = await startRenderWorker({ connection: 'redis://127.0.0.1:6379', store: directoryStore('/mnt/parts') });
 * process.on('SIGTERM', () => worker.stop().then(() => process.exit(0)));
 */
export async function startRenderWorker(options: RenderWorkerOptions): Promise<RenderWorker> {
  const loc = resolveLocation(options, ['store', 'concurrency', 'lockMs', 'onEvent']);
  const store = options.store;
  if (!store || typeof store.create !== 'function') throw new Mp4ForgeError('INVALID_OPTION', 'startRenderWorker needs a store (e.g. directoryStore(dir))');
  const concurrency = options.concurrency ?? 1;
  const lockMs = options.lockMs ?? 30_000;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Mp4ForgeError('INVALID_OPTION', `concurrency must be a positive integer, got ${JSON.stringify(concurrency)}`);
  }
  if (!Number.isInteger(lockMs) || lockMs < 1000) throw new Mp4ForgeError('INVALID_OPTION', `lockMs must be an integer ≥ 1000, got ${JSON.stringify(lockMs)}`);
  const emit = (e: WorkerEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      // a logging callback must not break the worker
    }
  };

  const redis = await connectRedis(loc);
  const k = keys(loc);
  const connection = bullConnection(loc);
  const queue = new Queue(loc.queue, { connection, prefix: loc.prefix });
  queue.on('error', (err) => emit({ event: 'error', message: err.message }));
  const active = new Map<string, AbortController>();
  let stopping = false;
  let handedBack = 0;
  let completed = 0;

  const parentGone = async (id: string) => {
    const state = await queue.getJobState(id);
    return state === 'failed' || state === 'unknown';
  };

  async function segment(job: Job<SegmentJobData>, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<unknown> {
    const { id, job: spec, k: part, n } = job.data;
    const base = { kind: 'segment' as const, id, k: part, n };
    if (await parentGone(id)) {
      emit({ ...base, event: 'skipped', reason: 'the render has failed or was removed' });
      return { skipped: true };
    }
    if (await store.has(id, part, n)) {
      // Rendered by an earlier attempt whose worker died before it could report completion.
      emit({ ...base, event: 'skipped', reason: 'already in the store' });
      return { k: part, reused: true };
    }
    emit({ ...base, event: 'start', attempt: job.attemptsStarted || job.attemptsMade + 1 });
    const controller = new AbortController();
    const onBullAbort = () => controller.abort(bullSignal?.reason);
    bullSignal?.addEventListener('abort', onBullAbort);
    active.set(job.id as string, controller);
    const started = performance.now();
    let writer: PartWriter | undefined;
    let lastReport = 0;
    try {
      writer = await store.create(id, part, n);
      const summary = await renderPart(spec, part, n, writer.output, controller.signal, (frames) => {
        const now = performance.now();
        if (now - lastReport < 250) return;
        lastReport = now;
        const progress: SegmentProgress = { k: part, n, frames };
        job.updateProgress(progress as unknown as object).catch(() => undefined);
      });
      await writer.commit();
      if (await parentGone(id)) await store.remove(id); // the render failed meanwhile: leave nothing behind
      emit({ ...base, event: 'done', frames: summary.frames, bytes: summary.bytes, elapsedSeconds: round3((performance.now() - started) / 1000) });
      completed++;
      return { k: part, frames: summary.frames, bytes: summary.bytes };
    } catch (err) {
      await writer?.discard().catch(() => undefined);
      if (stopping && controller.signal.aborted && token) {
        // Handed back: to the queue's head again, not counted as a failed attempt.
        await job.moveToWait(token);
        handedBack++;
        emit({ event: 'handed-back', kind: 'segment', id, k: part, n });
        throw new WaitingError();
      }
      if (await parentGone(id).catch(() => false)) {
        // The render failed meanwhile, and its stitch removed what the store held of it (a
        // directory store's job directory, with this part's temporary file): not this job's failure.
        await store.remove(id);
        emit({ ...base, event: 'skipped', reason: 'the render has failed or was removed' });
        return { skipped: true };
      }
      const reason = encodeFailure(err);
      emit({ ...base, event: 'failed', attempt: job.attemptsMade + 1, ...decodeFailure(reason) });
      // BullMQ records the message as the job's failedReason; the cause is for a debugger.
      throw new Error(reason, { cause: err });
    } finally {
      active.delete(job.id as string);
      bullSignal?.removeEventListener('abort', onBullAbort);
    }
  }

  async function stitch(job: Job<StitchJobData>, token: string | undefined): Promise<RenderResult> {
    const { id, job: spec, n, keepSeconds } = job.data;
    const base = { kind: 'stitch' as const, id, n };
    const fail = async (code: string, message: string): Promise<never> => {
      await store.remove(id);
      await writeRecord(redis, k.result(id), { state: 'failed', id, finishedAt: Date.now(), error: decodeFailure(`[${code}] ${message}`) }, keepSeconds);
      emit({ ...base, event: 'failed', attempt: job.attemptsMade + 1, code, message });
      throw new UnrecoverableError(`[${code}] ${message}`);
    };

    // A child failed for good: BullMQ started the parent early (continueParentOnFailure) so that
    // the render fails with the child's error and leaves no part behind.
    const failedChildren = Object.entries(await job.getFailedChildrenValues());
    if (failedChildren.length > 0) {
      await job.removeUnprocessedChildren().catch(() => undefined);
      const [key, reason] = failedChildren.sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))[0];
      const m = /-s(\d+)of\d+$/.exec(key);
      const { code, message } = decodeFailure(reason);
      return fail(code, `segment ${m ? m[1] : '?'} of ${n} failed after ${job.opts.attempts ?? 1} attempt(s): ${message}`);
    }

    const previous = await readRecord(redis, k.result(id));
    if (previous?.state === 'completed' && (await sizeOf(previous.result.output)) === previous.result.bytes) {
      await store.remove(id);
      emit({ ...base, event: 'skipped', reason: 'already stitched' });
      return previous.result;
    }

    const lock = await acquireOutputLock(redis, k.outputLock(spec.output), id, lockMs);
    if (!lock) {
      // Another stitch is writing this file: wait for it rather than write the same file twice.
      emit({ ...base, event: 'skipped', reason: `${spec.output} is being written by another stitch; retrying in 2 s` });
      if (token) await job.moveToDelayed(Date.now() + 2000, token);
      throw new DelayedError();
    }
    emit({ ...base, event: 'start', attempt: job.attemptsStarted || job.attemptsMade + 1 });
    const started = performance.now();
    try {
      const parts = [];
      for (let p = 1; p <= n; p++) parts.push(await store.open(id, p, n));
      // The core writes a temporary file beside the output and renames it when complete: a reader
      // never sees half a file, and a failed stitch leaves an older file as it was.
      const summary = await stitchParts(parts, spec, spec.output, new AbortController().signal);
      const result: RenderResult = { id, output: spec.output, ...summary };
      await writeRecord(redis, k.result(id), { state: 'completed', id, finishedAt: Date.now(), result }, keepSeconds);
      await store.remove(id);
      emit({ ...base, event: 'done', frames: summary.frames, bytes: summary.bytes, elapsedSeconds: round3((performance.now() - started) / 1000) });
      completed++;
      return result;
    } catch (err) {
      const reason = encodeFailure(err);
      const { code, message } = decodeFailure(reason);
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) return fail(code, message);
      emit({ ...base, event: 'failed', attempt: job.attemptsMade + 1, code, message });
      throw new Error(reason, { cause: err });
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  const worker = new Worker(
    loc.queue,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      if (job.name === SEGMENT) return segment(job as Job<SegmentJobData>, token, signal);
      if (job.name === STITCH) return stitch(job as Job<StitchJobData>, token);
      throw new UnrecoverableError(`[INVALID_OPTION] unknown job kind '${job.name}' on the render queue`);
    },
    { connection, prefix: loc.prefix, concurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 2, autorun: false },
  );
  worker.on('error', (err) => emit({ event: 'error', message: err.message }));
  worker.on('stalled', (jobId) => emit({ event: 'stalled', jobId }));
  void worker.run().catch((err: Error) => emit({ event: 'error', message: err.message }));
  await worker.waitUntilReady();
  emit({ event: 'ready', queue: loc.queue, redis: loc.where, concurrency, store: store.description });

  let stopped: Promise<{ handedBack: number; completed: number }> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const closing = worker.close();
        for (const c of active.values()) c.abort(new Error('the worker is stopping'));
        await closing;
        await queue.close();
        redis.disconnect();
        return { handedBack, completed };
      })();
      return stopped;
    },
  };
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
