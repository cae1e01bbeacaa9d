// Reaching Redis: a connection given as a URL or options, a first contact that gives up within a
// bounded time with a clear error (ioredis would otherwise retry for ever, and BullMQ wait for it),
// and the names of the few keys mp4forge keeps beside BullMQ's.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { closest } from '../did-you-mean.js';
import { Mp4ForgeError } from './core.js';

/** Redis: a `redis://[user:password@]host[:port][/db]` URL (`rediss://` for TLS), or its parts. */
export type RedisConnection = string | RedisConnectionOptions;

export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** TLS options for `tls.connect`, or true for the defaults. */
  tls?: boolean | Record<string, unknown>;
}

/** Where the queue lives in Redis. */
export interface QueueLocation {
  connection: RedisConnection;
  /** The BullMQ queue name. Default 'render'. */
  queue?: string;
  /** The Redis key prefix. Default 'mp4forge'. */
  prefix?: string;
  /** How long the first contact with Redis may take before failing with QUEUE_UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface ResolvedLocation {
  options: { host: string; port: number; username?: string; password?: string; db?: number; tls?: Record<string, unknown> };
  queue: string;
  prefix: string;
  connectTimeoutMs: number;
  /** `redis://host:port/db`, without credentials, for messages. */
  where: string;
}

const LOCATION_KEYS = ['connection', 'queue', 'prefix', 'connectTimeoutMs'];

/**
 * Refuses a key of `o` that is not in `allowed`, in the core's words: `<name> is not an option
 * (did you mean …?); expected one of …`, so that a typo never silently changes nothing.
 */
export function refuseUnknownKeys(o: object, prefix: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `${prefix}${key} is not an option${guess ? ` (did you mean ${prefix}${guess}?)` : ''}; expected one of ${allowed.join(', ')}`,
      { details: { option: `${prefix}${key}` } },
    );
  }
}

/** Validates a {@link QueueLocation} (with the `more` keys of the options it is part of) and fills in the defaults. */
export function resolveLocation(loc: QueueLocation, more: readonly string[] = []): ResolvedLocation {
  if (!loc || typeof loc !== 'object') throw invalid('the queue needs options with at least connection (a redis:// URL or { host, port })');
  refuseUnknownKeys(loc, '', [...LOCATION_KEYS, ...more]);
  const options = redisOptions(loc.connection);
  const queue = loc.queue ?? 'render';
  const prefix = loc.prefix ?? 'mp4forge';
  for (const [name, v] of [['queue', queue], ['prefix', prefix]] as const) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9._-]+$/.test(v)) throw invalid(`${name} must be letters, digits, '.', '_' or '-', got ${JSON.stringify(v)}`);
  }
  const connectTimeoutMs = loc.connectTimeoutMs ?? 5000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw invalid(`connectTimeoutMs must be a positive number, got ${JSON.stringify(loc.connectTimeoutMs)}`);
  }
  const where = `${options.tls ? 'rediss' : 'redis'}://${options.host}:${options.port}${options.db ? `/${options.db}` : ''}`;
  return { options, queue, prefix, connectTimeoutMs, where };
}

function redisOptions(c: RedisConnection): ResolvedLocation['options'] {
  if (typeof c === 'string') {
    let url: URL;
    try {
      url = new URL(c);
    } catch {
      throw invalid(`connection must be a redis:// URL, got ${JSON.stringify(c)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalid(`connection must be a redis:// or rediss:// URL, got ${JSON.stringify(c)}`);
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
    if (db !== undefined && !(Number.isSafeInteger(db) && db >= 0)) throw invalid(`the database in ${JSON.stringify(c)} must be a number, e.g. redis://host:6379/0`);
    return {
      host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(db ? { db } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    };
  }
  if (!c || typeof c !== 'object') throw invalid(`connection must be a redis:// URL or { host, port, … }, got ${JSON.stringify(c)}`);
  refuseUnknownKeys(c, 'connection.', ['host', 'port', 'username', 'password', 'db', 'tls']);
  const port = c.port ?? 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`connection port must be 1–65535, got ${JSON.stringify(c.port)}`);
  return {
    host: c.host ?? '127.0.0.1',
    port,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.db ? { db: c.db } : {}),
    ...(c.tls ? { tls: c.tls === true ? {} : c.tls } : {}),
  };
}

/**
 * Connects to Redis, or fails with QUEUE_UNAVAILABLE within `connectTimeoutMs` (refused, unknown
 * host, or a server that never answers). The client returned reconnects by itself afterwards, like
 * BullMQ's own; it is for mp4forge's keys (results, output locks).
 */
export async function connectRedis(loc: ResolvedLocation): Promise<Redis> {
  const client = new Redis({
    ...loc.options,
    lazyConnect: true,
    connectTimeout: loc.connectTimeoutMs,
    // No retry while making first contact: a refused connection is reported now, not retried for ever.
    retryStrategy: () => null,
    maxRetriesPerRequest: 1,
  });
  let lastError: unknown;
  client.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${loc.connectTimeoutMs} ms`)), loc.connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    // disconnect() only half-closes a socket still waiting for the server's first answer; a server
    // that never answers would then keep it (and the process) alive.
    client.stream?.destroy();
    const why = err instanceof Error && err.message !== 'Connection is closed.' ? err.message : lastError instanceof Error ? lastError.message : String(err);
    throw unavailable(loc, why, err);
  } finally {
    clearTimeout(timer);
  }
  // From now on behave like BullMQ's clients: reconnect with a capped backoff.
  client.options.retryStrategy = (times: number) => Math.min(1000 * times, 10_000);
  client.options.maxRetriesPerRequest = 20;
  return client;
}

/** The QUEUE_UNAVAILABLE error for Redis at `loc`. */
export function unavailable(loc: ResolvedLocation, why: string, cause?: unknown): Mp4ForgeError {
  return new Mp4ForgeError('QUEUE_UNAVAILABLE', `cannot reach Redis at ${loc.where}: ${why}; is redis-server running there? (connection / --redis URL)`, {
    ...(cause !== undefined ? { cause } : {}),
    details: { redis: loc.where },
  });
}

/** The options BullMQ gets: the same server, BullMQ's own retry behaviour. */
export function bullConnection(loc: ResolvedLocation): Record<string, unknown> {
  return { ...loc.options };
}

/** mp4forge's keys beside BullMQ's, under the same prefix and queue. */
export function keys(loc: ResolvedLocation) {
  const base = `${loc.prefix}:${loc.queue}:mp4forge`;
  return {
    /** The outcome of a finished job (JSON), kept for `keepSeconds`: status and idempotency. */
    result: (id: string) => `${base}:result:${id}`,
    /** Held while a stitch writes to a path, so that no two stitches ever write the same file. */
    outputLock: (path: string) => `${base}:output:${createHash('sha256').update(path).digest('hex').slice(0, 32)}`,
  };
}

function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message);
}
