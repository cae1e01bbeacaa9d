// `mp4forge queue worker|submit|status`: the CLI face of mp4forge/queue. Loaded only when a queue
// command runs (it imports bullmq and ioredis, optional peer dependencies).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  directoryStore, getRenderStatus, startRenderWorker, submitRender, type RenderJob, type RenderProgress, type RenderResult, type SegmentStore,
  type WorkerEvent,
} from '../../queue/index.js';
import type { QueueLocation } from '../../queue/connection.js';
import { s3StoreFromUrl } from '../../queue/s3-store.js';
import type { Layout } from '../../mux/types.js';
import type { AudioLength } from '../../soundtrack.js';
import type { PatternName } from '../../generate/patterns.js';
import { Args, parseArgs } from '../args.js';
import { asUsageError, UsageError } from '../errors.js';
import { formatBytes, printWarnings, videoOptions, type SessionIo } from '../session.js';
import { queueStatusSpec, queueSubmitSpec, queueWorkerSpec } from './queue-spec.js';

/** What a queue command tells main.ts: 'stopped' when a signal ended it the normal way (exit 0). */
export type QueueOutcome = 'stopped' | undefined;

export async function queueCommand(sub: string, argv: readonly string[], io: SessionIo, signal: AbortSignal): Promise<QueueOutcome> {
  if (sub === 'worker') return workerCommand(argv, io, signal);
  if (sub === 'submit') return submitCommand(argv, io, signal);
  if (sub === 'status') return statusCommand(argv, io);
  throw new UsageError(`unknown queue subcommand '${sub}'; use worker, submit or status`, 'queue');
}

function location(args: Args): QueueLocation {
  return {
    connection: args.string('redis') as string,
    ...(args.has('queue') ? { queue: args.string('queue') } : {}),
    ...(args.has('connect-timeout') ? { connectTimeoutMs: args.int('connect-timeout') } : {}),
  };
}

/** --store: a directory, or s3://BUCKET[/PREFIX] with the AWS SDK's default configuration (its environment variables, ~/.aws). */
async function openStore(value: string): Promise<{ store: SegmentStore; close(): void }> {
  if (value.startsWith('s3://')) return s3StoreFromUrl(value, process.env);
  return { store: directoryStore(resolve(value)), close: () => undefined };
}

async function workerCommand(argv: readonly string[], io: SessionIo, signal: AbortSignal): Promise<QueueOutcome> {
  const args = new Args(parseArgs(queueWorkerSpec, argv));
  const json = args.flag('json');
  const print = (e: WorkerEvent | { event: 'stopped'; signal: string; handedBack: number; completed: number }) => {
    if (json) io.stdout.write(`${JSON.stringify({ ...e, pid: process.pid })}\n`);
    else io.stderr.write(`mp4forge queue worker ${process.pid}: ${describeEvent(e)}\n`);
  };
  let worker;
  let store;
  try {
    store = await openStore(args.string('store') as string);
    worker = await startRenderWorker({
      ...location(args),
      store: store.store,
      concurrency: args.int('concurrency', 1),
      lockMs: args.int('lock-ms', 30_000),
      onEvent: print,
    });
  } catch (err) {
    store?.close();
    throw asUsageError(err, 'queue worker');
  }
  if (!signal.aborted) await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
  const { handedBack, completed } = await worker.stop();
  store.close();
  const reason = signal.reason instanceof Error ? signal.reason.message.replace(/^interrupted by /, '') : 'signal';
  print({ event: 'stopped', signal: reason, handedBack, completed });
  return 'stopped';
}

function describeEvent(e: WorkerEvent | { event: 'stopped'; signal: string; handedBack: number; completed: number }): string {
  const what = 'kind' in e ? (e.kind === 'segment' ? `segment ${e.k}/${e.n} of ${e.id}` : `stitch of ${e.id} (${e.n} segments)`) : '';
  switch (e.event) {
    case 'ready':
      return `waiting for jobs on queue '${e.queue}' at ${e.redis} (concurrency ${e.concurrency}, store: ${e.store})`;
    case 'start':
      return `${what}: started (attempt ${e.attempt})`;
    case 'done':
      return `${what}: done, ${e.frames} frames, ${formatBytes(e.bytes)} in ${e.elapsedSeconds.toFixed(2)} s`;
    case 'skipped':
      return `${what}: skipped (${e.reason})`;
    case 'failed':
      return `${what}: attempt ${e.attempt} failed: [${e.code}] ${e.message}`;
    case 'handed-back':
      return `${what}: handed back to the queue`;
    case 'stalled':
      return `job ${e.jobId} of a worker that stopped answering went back to the queue`;
    case 'error':
      return `error: ${e.message}`;
    case 'stopped':
      return `stopped by ${e.signal}: ${e.completed} job(s) done, ${e.handedBack} handed back`;
  }
}

async function submitCommand(argv: readonly string[], io: SessionIo, signal: AbortSignal): Promise<QueueOutcome> {
  const args = new Args(parseArgs(queueSubmitSpec, argv));
  const json = args.flag('json');
  const wait = args.flag('wait');
  const sceneFile = args.string('scene');
  if (sceneFile !== undefined && args.has('pattern')) throw new UsageError('--scene replaces --pattern: give one of them', 'queue submit');
  if (args.has('audio-length') && !args.has('audio')) throw new UsageError('--audio-length needs --audio FILE', 'queue submit');
  const out = args.string('out') as string;
  if (out === '-') throw new UsageError('--out must be a file the workers can write, not stdout', 'queue submit');
  const video = videoOptions(args);
  const job: RenderJob = {
    width: args.int('width', 1280),
    height: args.int('height', 720),
    fps: args.string('fps', '30'),
    frames: args.int('frames', 300),
    ...(sceneFile !== undefined ? { scene: sceneUrl(sceneFile) } : { pattern: args.string('pattern', 'bars') as PatternName }),
    ...(Object.keys(video).length > 0 ? { video } : {}),
    ...(args.has('layout') ? { layout: args.string('layout') as Layout } : {}),
    ...(args.has('audio') ? { audio: resolve(args.string('audio') as string) } : {}),
    ...(args.has('audio-length') ? { audioLength: args.string('audio-length') as AudioLength } : {}),
    output: resolve(out),
  };
  const started = performance.now();
  const bar = wait && !json && io.stderr.isTTY ? (p: RenderProgress) => io.stderr.write(`\r${progressLine(p)}\x1b[K`) : undefined;
  let handle;
  let store;
  try {
    store = args.has('store') ? await openStore(args.string('store') as string) : undefined;
    handle = await submitRender(job, {
      ...location(args),
      segments: args.int('segments') as number,
      ...(store ? { store: store.store } : {}),
      ...(args.has('attempts') ? { attempts: args.int('attempts') } : {}),
      ...(args.has('keep') ? { keepSeconds: args.int('keep') } : {}),
      watch: wait,
      ...(bar ? { onProgress: bar } : {}),
    });
  } catch (err) {
    throw asUsageError(err, 'queue submit');
  } finally {
    // submitRender uses the store only to clear what an earlier failed run of the job left.
    store?.close();
  }
  if (!wait) {
    if (json) io.stdout.write(`${JSON.stringify({ id: handle.id, status: handle.status })}\n`);
    else {
      io.stdout.write(`${handle.id}\n`);
      const state = handle.status === 'done' ? 'already rendered' : handle.status === 'running' ? 'already on the queue' : 'queued';
      io.stderr.write(`mp4forge: ${state}: ${handle.id}\n`);
    }
    return undefined;
  }
  const onAbort = () => void handle.close();
  signal.addEventListener('abort', onAbort, { once: true });
  let result: RenderResult;
  try {
    result = await handle.result();
  } catch (err) {
    if (bar) io.stderr.write('\r\x1b[K');
    if (signal.aborted) {
      io.stderr.write(`mp4forge: stopped waiting; the render goes on: mp4forge queue status --redis ${args.string('redis')} ${handle.id}\n`);
      throw err;
    }
    const e = err as { code?: string; message?: string };
    if (json) io.stdout.write(`${JSON.stringify({ id: handle.id, status: 'failed', error: { code: e.code, message: e.message } })}\n`);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (bar) io.stderr.write('\r\x1b[K');
  const elapsedSeconds = Math.round(performance.now() - started) / 1000;
  printWarnings(result.audio?.warnings, io);
  if (json) {
    io.stdout.write(`${JSON.stringify({ status: handle.status === 'done' ? 'done' : 'completed', ...result, elapsedSeconds })}\n`);
    return undefined;
  }
  io.stdout.write(`${handle.id}\n`);
  const audio = result.audio ? ` + ${result.audio.durationSeconds.toFixed(3)} s of MP3 audio` : '';
  io.stderr.write(
    `mp4forge: ${handle.status === 'done' ? 'already rendered' : 'rendered'} ${result.output}: ${result.frames} frames in ${result.segments} segments, ${result.durationSeconds.toFixed(3)} s of video${audio}, ${formatBytes(result.bytes)} (${result.layout}) in ${elapsedSeconds.toFixed(2)} s\n`,
  );
  return undefined;
}

/** --scene: a URL as given (file:, https:, data:), else a file path made absolute. */
function sceneUrl(scene: string): string {
  // A scheme of two letters or more (one letter would be a Windows drive).
  return /^[a-z][a-z0-9+.-]+:/i.test(scene) ? scene : pathToFileURL(resolve(scene)).href;
}

function progressLine(p: RenderProgress): string {
  const pct = p.frames > 0 ? Math.floor((100 * p.framesDone) / p.frames) : 0;
  return p.stitching ? `stitching ${p.segments} segments…` : `${p.framesDone}/${p.frames} frames (${pct}%), ${p.segmentsDone}/${p.segments} segments done`;
}

async function statusCommand(argv: readonly string[], io: SessionIo): Promise<QueueOutcome> {
  const args = new Args(parseArgs(queueStatusSpec, argv));
  let status;
  try {
    status = await getRenderStatus(args.positionals[0], location(args));
  } catch (err) {
    throw asUsageError(err, 'queue status');
  }
  if (args.flag('json')) {
    io.stdout.write(`${JSON.stringify(status)}\n`);
    return undefined;
  }
  const line =
    status.state === 'completed' && status.result
      ? `completed: ${status.result.output}, ${status.result.frames} frames, ${formatBytes(status.result.bytes)}`
      : status.state === 'failed' && status.error
        ? `failed: [${status.error.code}] ${status.error.message}`
        : status.state === 'rendering' && status.segments
          ? `rendering: ${status.segments.done}/${status.segments.total} segments done`
          : status.state;
  io.stdout.write(`${status.id} ${line}\n`);
  return undefined;
}
