// The queue tests' CLI side: `mp4forge queue worker --json` processes and the events they print,
// CLI runs with a deadline, small waits, and a render that fails while a segment still renders.
// Shared by test/queue.test.ts, test/queue-s3.test.ts and test/queue-lifecycle.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { submitRender } from '../../src/queue/index.js';

export const CLI = resolve('dist/cli.js');

export interface Line {
  at: number;
  e: Record<string, unknown> & { event: string };
}

/** A `mp4forge queue worker --json` process and the events it printed. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  /** `env`: added to this process's environment (e.g. the AWS_* variables of an s3:// store). */
  constructor(redisUrl: string, store: string, env: Record<string, string> = {}) {
    const argv = [CLI, 'queue', 'worker', '--redis', redisUrl, '--store', store, '--lock-ms', '2000', '--json'];
    this.child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.lines.push({ at: performance.now(), e: JSON.parse(buf.slice(0, nl)) });
        buf = buf.slice(nl + 1);
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  events(name: string): Line['e'][] {
    return this.lines.filter((l) => l.e.event === name).map((l) => l.e);
  }

  /** Resolves with the first event (from `from` on) that `match` accepts; rejects after `ms`. */
  async waitFor(match: (e: Line['e']) => boolean, ms: number, from = 0): Promise<Line['e']> {
    const deadline = performance.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => match(l.e));
      if (hit) return hit.e;
      if (performance.now() > deadline) {
        throw new Error(`worker ${this.pid}: no matching event within ${ms} ms; got ${JSON.stringify(this.lines.map((l) => l.e))}; stderr: ${this.stderr}`);
      }
      if (this.child.exitCode !== null) throw new Error(`worker ${this.pid} exited (${this.child.exitCode}) while waiting; stderr: ${this.stderr}`);
      await sleep(25);
    }
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to completion (killed after `timeoutMs`, so a hang fails the test instead of stalling it); `env` is added to this process's. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${[command, ...args].join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs the CLI (`node dist/cli.js …`) to completion, as {@link runProcess}. */
export function cli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliRun> {
  return runProcess(process.execPath, [CLI, ...args], { env }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A render of 64 frames in 2 segments whose segment 1 fails for good (2 attempts) at its first
 * frame while segment 2 (32 frames × 40 ms) is still rendering, on two `queue worker` processes
 * (Node's loader keeps the scene URL's query, `?throwAt`, `?delay`; vitest's drops it). Resolves
 * once segment 2 has ended, with the render's error and the workers' events in the order they came.
 */
export async function failWhileRendering(
  redisUrl: string,
  store: string,
  output: string,
  env: Record<string, string> = {},
): Promise<{ error: unknown; events: Line['e'][] }> {
  const workers = [new WorkerProcess(redisUrl, store, env), new WorkerProcess(redisUrl, store, env)];
  try {
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready', 20_000)));
    const scene = `${pathToFileURL(resolve('test/fixtures/scenes/queue-bars.mjs')).href}?throwAt=0&delay=40`;
    const job = { width: 160, height: 120, fps: 30, frames: 64, video: { gop: 16 }, scene, output };
    const render = await submitRender(job, { connection: redisUrl, segments: 2, attempts: 2, backoffMs: 0 });
    const error = await render.result().then(
      () => new Error('the render completed'),
      (err: unknown) => err,
    );
    const events = () => workers.flatMap((w) => w.lines).sort((a, b) => a.at - b.at).map((l) => l.e);
    await until('segment 2 to end', () => events().some((e) => e.kind === 'segment' && e.k === 2 && e.event !== 'start'), 20_000);
    return { error, events: events() };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
}
