// What mp4forge keeps in Redis beside BullMQ's jobs: the outcome of each finished job (for status
// and for idempotent resubmission; it expires), the lock that keeps two stitches off one output
// file, and how a failure travels through BullMQ (which stores only a message string).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Mp4ForgeError, type Mp4ForgeErrorCode, type StitchSummary } from './core.js';

/** The final file of a finished job. */
export interface RenderResult extends StitchSummary {
  /** The job id. */
  id: string;
  /** The MP4 path. */
  output: string;
}

/** What Redis remembers of a finished job. */
export type JobRecord =
  | { state: 'completed'; id: string; finishedAt: number; result: RenderResult }
  | { state: 'failed'; id: string; finishedAt: number; error: { code: Mp4ForgeErrorCode; message: string } };

export async function readRecord(redis: Redis, key: string): Promise<JobRecord | null> {
  const raw = await redis.get(key);
  return raw === null ? null : (JSON.parse(raw) as JobRecord);
}

export async function writeRecord(redis: Redis, key: string, record: JobRecord, keepSeconds: number): Promise<void> {
  await redis.set(key, JSON.stringify(record), 'EX', keepSeconds);
}

// ------------------------------------------------------------------------------------- failures

const ENCODED = /^\[([A-Z][A-Z0-9_]*)\] ([\s\S]*)$/;

/** The message BullMQ stores for a failure: `[CODE] message`, so the code survives the trip. */
export function encodeFailure(err: unknown): string {
  if (err instanceof Mp4ForgeError) return `[${err.code}] ${err.message}`;
  if (err instanceof Error && ENCODED.test(err.message)) return err.message;
  // Not one of ours (a crash in user code outside draw, a file system error): the worker failed.
  return `[WORKER_FAILED] ${err instanceof Error ? err.message : String(err)}`;
}

/** The code and message of a stored failure; BullMQ's own failures (stalled too often, …) are WORKER_FAILED. */
export function decodeFailure(reason: string | undefined): { code: Mp4ForgeErrorCode; message: string } {
  const m = ENCODED.exec(reason ?? '');
  if (m) return { code: m[1] as Mp4ForgeErrorCode, message: m[2] };
  return { code: 'WORKER_FAILED', message: reason || 'the job failed without a reason' };
}

// ---------------------------------------------------------------------------------- output lock

const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A lock held while one stitch writes one output path; renewed until released. */
export interface OutputLock {
  release(): Promise<void>;
}

/**
 * Takes the lock on `key` for `owner`, or returns null when another stitch holds it. The lock
 * expires `ttlMs` after its holder stops renewing it (a killed worker).
 */
export async function acquireOutputLock(redis: Redis, key: string, owner: string, ttlMs = 30_000): Promise<OutputLock | null> {
  const token = `${owner}:${randomBytes(8).toString('hex')}`;
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, key, token, ttlMs).catch(() => undefined);
  }, ttlMs / 3);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}
