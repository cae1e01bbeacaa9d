// worker_threads behind the WorkerTransport interface. Node-only: nothing outside src/pool and the
// Node code paths imports this module (browser builds must not pull in worker_threads).
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './protocol.js';
import { FailureSignal, type WorkerSpawner, type WorkerTransport } from './transport.js';

let live = 0;

/** Worker threads started by mp4forge that have not exited yet (for tests and diagnostics). */
export function liveWorkerCount(): number {
  return live;
}

/**
 * The worker script: dist/encode-worker.js next to the built bundle, or, when mp4forge runs from
 * its TypeScript sources (tests), src/pool/encode-worker.ts, loaded through the module hooks that
 * MP4FORGE_WORKER_HOOKS names (the test setup sets it; see vitest.config.ts).
 */
function workerSource(): { url: URL; ts: boolean } {
  const js = new URL('./encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, ts: false };
  const ts = new URL('./encode-worker.ts', import.meta.url);
  if (existsSync(fileURLToPath(ts))) return { url: ts, ts: true };
  return { url: js, ts: false }; // let Worker report the missing file
}

/**
 * The process's Node flags for a worker, but `--input-type`: a worker inherits them, and Node
 * refuses to start one under `node --input-type=module -e …` (the flag is only for the eval string).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input-type') i++; // and its value
    else if (!argv[i].startsWith('--input-type=')) out.push(argv[i]);
  }
  return out;
}

class NodeWorkerTransport implements WorkerTransport {
  private readonly worker: Worker;
  private readonly failure = new FailureSignal();
  private terminating = false;
  private readonly exited: Promise<void>;

  constructor() {
    const src = workerSource();
    if (src.ts) {
      const hooks = process.env.MP4FORGE_WORKER_HOOKS;
      if (!hooks)
        throw new Error(
          `${src.url.href} is TypeScript: set MP4FORGE_WORKER_HOOKS to module hooks that can load it (test/helpers/ts-worker-hooks.mjs), or use the built dist/`,
        );
      const code = `import('node:module').then((m) => m.register(${JSON.stringify(hooks)})).then(() => import(${JSON.stringify(src.url.href)}))`;
      this.worker = new Worker(code, { eval: true, execArgv: workerExecArgv() });
    } else {
      this.worker = new Worker(src.url, { execArgv: workerExecArgv() });
    }
    live++;
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        live--;
        if (!this.terminating) this.fail(new Error(`the worker thread exited unexpectedly with code ${code}`));
        resolve();
      });
    });
    this.worker.on('error', (err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.failure.error || this.terminating) return;
    this.worker.postMessage(message, transfer);
  }

  onMessage(handler: (message: FromWorker) => void): void {
    this.worker.on('message', handler);
  }

  onFailure(handler: (error: Error) => void): void {
    this.failure.listen(handler);
  }

  keepAlive(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    await this.worker.terminate();
    await this.exited;
  }

  private fail(err: Error): void {
    if (!this.terminating) this.failure.fail(err);
  }
}

export const spawnNodeWorker: WorkerSpawner = () => new NodeWorkerTransport();
