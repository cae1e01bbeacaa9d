// A real redis-server for the queue tests (Debian's package; `.ci/run` installs it): started on a
// free port in a temporary directory with persistence off, stopped and removed afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
export const redisAvailable = spawnSync(REDIS_SERVER, ['--version']).status === 0;
/** In CI the queue tests must run; locally they skip with a notice when redis-server is absent. */
export const requireRedis = process.env.CI === 'true';

if (!redisAvailable) {
  const outcome = requireRedis ? 'FAIL (CI=true requires them)' : 'are SKIPPED';
  const msg = `${REDIS_SERVER} not found: queue tests ${outcome} — install it with 'apt-get install -y redis-server'`;
  console.warn(`\n[mp4forge] ${msg}\n`);
}

/** A port nothing listens on (at the moment of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** A client for the test's own looks at the keys. */
  client: Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mp4forge-redis-'));
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
  const child: ChildProcess = spawn(REDIS_SERVER, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/Ready to accept connections/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on port ${port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = new Redis({ host: '127.0.0.1', port });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
