// The worker pool in the browser build: module Web Workers over the pool's transport, started by
// the library from an app that Vite bundled (its `new Worker(new URL(…))` picked up like any app's).
// In Debian's Chromium, renderVideo and createMp4Writer with 0, 1, 2 and 'auto' workers must give
// the same bytes, and the same bytes as Node for the same frames and options; a scene module is
// imported by URL inside the workers; a WorkerPool's workers serve a render and then a writer; a
// scene that throws rejects with USER_CALLBACK_FAILED, and a worker script that cannot load with
// WORKER_FAILED.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain .mjs helper shared with bench/size.mjs (no type declarations)
import { bundleBrowserApp } from '../bench/lib/browser-bundle.mjs';
import { chromiumAvailable, launchChromium, requireBrowser, serveDir } from './helpers/browser.js';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { workDir } from './helpers/render.js';
import { fromBase64 } from './helpers/web-build.js';
import { audio, createMp4Writer, renderVideo, type SceneSpec } from '../src/index.js';

const SCENES = resolve('test/fixtures/scenes');
const OPTS = { width: 320, height: 180, fps: 24, video: { gop: 24 }, output: { buffer: true } } as const;
const FRAMES = 72;

// The page: the library's workers are counted by wrapping the Worker constructor.
const MAIN_JS = `
import { audio, createMp4Writer, createWorkerPool, renderVideo } from 'mp4forge';
const OPTS = ${JSON.stringify(OPTS)};
const FRAMES = ${FRAMES};
let spawned = 0;
// Set: each encode worker reports an error at once, before the pool can have listened for it.
let failAtOnce = false;
const NativeWorker = window.Worker;
window.Worker = class extends NativeWorker {
  constructor(url, options) {
    super(url, options);
    if (options?.name !== 'mp4forge-encode') return;
    spawned++;
    if (failAtOnce) queueMicrotask(() => this.dispatchEvent(new ErrorEvent('error', { message: 'failed at once (simulated)' })));
  }
};
const b64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const scene = (name) => (name.endsWith('.mjs') ? new URL('./scenes/' + name, location.href) : name);
window.pool = {
  async render(workers, sceneName) {
    spawned = 0;
    const r = await renderVideo({ ...OPTS, frames: FRAMES, scene: scene(sceneName), workers, audio: audio.melody({ seconds: FRAMES / OPTS.fps }) });
    return { mp4: b64(r.data), spawned, cores: navigator.hardwareConcurrency };
  },
  async write(workers) {
    spawned = 0;
    const w = await createMp4Writer({ ...OPTS, workers, audio: audio.melody({ seconds: FRAMES / OPTS.fps }) });
    await w.addFrames(FRAMES, 'plasma');
    const r = await w.finish();
    return { mp4: b64(r.data), spawned, cores: navigator.hardwareConcurrency };
  },
  async reuse() {
    // A WorkerPool: its two workers serve a render and then a writer.
    spawned = 0;
    const workers = await createWorkerPool({ workers: 2 });
    const melody = () => audio.melody({ seconds: FRAMES / OPTS.fps });
    const rendered = await renderVideo({ ...OPTS, frames: FRAMES, scene: 'plasma', workers, audio: melody() });
    const w = await createMp4Writer({ ...OPTS, workers, audio: melody() });
    await w.addFrames(FRAMES, 'plasma');
    const written = await w.finish();
    const threadsStarted = workers.threadsStarted;
    await workers.close();
    return { render: b64(rendered.data), write: b64(written.data), spawned, threadsStarted };
  },
  async fail(workers) {
    try { await renderVideo({ ...OPTS, frames: FRAMES, scene: scene('throws-at-37.mjs'), workers }); return 'no error'; }
    catch (e) { return { name: e.name, code: e.code, frameIndex: e.details?.frameIndex, message: e.message }; }
  },
  async writeFails(workers, atOnce) {
    failAtOnce = atOnce;
    const write = async () => {
      const w = await createMp4Writer({ ...OPTS, workers });
      await w.addFrames(FRAMES, 'plasma');
      await w.finish();
      return 'no error';
    };
    try {
      return await Promise.race([write(), new Promise((r) => setTimeout(() => r('no answer within 10 s'), 10000))]);
    } catch (e) { return { name: e.name, code: e.code, message: e.message }; }
    finally { failAtOnce = false; }
  },
};
`;

type Run = { mp4: string; spawned: number; cores: number };

/** What Node writes for the same frames and options (in-process: the pool is byte-identical to it). */
async function nodeBytes(scene: SceneSpec, mode: 'render' | 'write'): Promise<Uint8Array> {
  const audioTrack = audio.melody({ seconds: FRAMES / OPTS.fps });
  if (mode === 'render') return (await renderVideo({ ...OPTS, frames: FRAMES, scene, workers: 0, audio: audioTrack })).data as Uint8Array;
  const w = await createMp4Writer({ ...OPTS, audio: audioTrack });
  await w.addFrames(FRAMES, 'plasma');
  return (await w.finish()).data as Uint8Array;
}

describe.runIf(chromiumAvailable || requireBrowser)('worker pool in Chromium (module Web Workers)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let page: Page;
  const site = join(workDir, 'browser-pool');
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const bundle = (await bundleBrowserApp({ entries: { 'main.js': MAIN_JS } })) as {
      warnings: string[];
      chunks: { fileName: string; code: string }[];
      assets: { fileName: string; source: string | Uint8Array }[];
    };
    expect(bundle.warnings).toEqual([]);
    for (const f of [...bundle.chunks.map((c) => ({ fileName: c.fileName, source: c.code })), ...bundle.assets]) {
      mkdirSync(join(site, f.fileName, '..'), { recursive: true });
      writeFileSync(join(site, f.fileName), f.source);
    }
    // Vite bundled the library's encode worker as a file of the app.
    expect(bundle.assets.some((a) => /encode-worker\.browser-[\w-]+\.js$/.test(a.fileName))).toBe(true);
    mkdirSync(join(site, 'scenes'), { recursive: true });
    for (const name of ['ramp.mjs', 'throws-at-37.mjs']) writeFileSync(join(site, 'scenes', name), readFileSync(join(SCENES, name)));
    writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
    server = await serveDir(site);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction('typeof window.pool === "object"');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function check(mp4: Uint8Array, name: string): Promise<void> {
    const file = join(workDir, name);
    writeFileSync(file, mp4);
    const probe = await ffprobe(file, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    expect([v?.codec_name, v?.width, v?.height, Number(v?.nb_read_frames)]).toEqual(['h264', 320, 180, FRAMES]);
    expect(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('mp3');
    expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
  }

  it("renderVideo with a pattern: 0, 1, 2 and 'auto' workers give the same bytes as Node; 'auto' starts navigator.hardwareConcurrency workers", async () => {
    const node = await nodeBytes('plasma', 'render');
    const runs: Record<string, Run> = {};
    for (const workers of [0, 1, 2, 'auto'] as const) runs[workers] = await page.evaluate(([w]) => window.pool.render(w, 'plasma'), [workers] as const);
    expect(runs[0].spawned).toBe(0);
    expect(runs[1].spawned).toBe(1);
    expect(runs[2].spawned).toBe(2);
    expect(runs.auto.spawned).toBe(runs.auto.cores);
    for (const [workers, run] of Object.entries(runs)) expect(Buffer.compare(fromBase64(run.mp4), node), `${workers} workers vs Node`).toBe(0);
    await check(fromBase64(runs[2].mp4), 'browser-pool-render.mp4');
  });

  it('renderVideo with a scene module URL: each worker imports it; same bytes as Node importing the same file', async () => {
    const node = await nodeBytes(pathToFileURL(join(SCENES, 'ramp.mjs')), 'render');
    for (const workers of [1, 2]) {
      const run = await page.evaluate(([w]) => window.pool.render(w, 'ramp.mjs'), [workers] as const);
      expect(run.spawned).toBe(workers);
      expect(Buffer.compare(fromBase64(run.mp4), node), `${workers} workers`).toBe(0);
    }
  });

  it('createMp4Writer with workers (frames converted on the page, encoded in workers): same bytes as Node', async () => {
    const node = await nodeBytes('plasma', 'write');
    for (const workers of [1, 2]) {
      const run = await page.evaluate(([w]) => window.pool.write(w), [workers] as const);
      expect(run.spawned).toBe(workers);
      expect(Buffer.compare(fromBase64(run.mp4), node), `${workers} workers`).toBe(0);
    }
    await check(node, 'browser-pool-write.mp4');
  });

  it('a WorkerPool: a render and then a writer on the same two workers, the same bytes as Node', async () => {
    const r = await page.evaluate(() => window.pool.reuse());
    expect([r.spawned, r.threadsStarted]).toEqual([2, 2]);
    expect(Buffer.compare(fromBase64(r.render), await nodeBytes('plasma', 'render')), 'render').toBe(0);
    expect(Buffer.compare(fromBase64(r.write), await nodeBytes('plasma', 'write')), 'writer').toBe(0);
  });

  it('a scene that throws in a worker rejects with USER_CALLBACK_FAILED and the frame index', async () => {
    const r = await page.evaluate(() => window.pool.fail(2));
    expect(r).toMatchObject({ name: 'Mp4ForgeError', code: 'USER_CALLBACK_FAILED', frameIndex: 37 });
    expect(pageErrors).toEqual([]);
  });

  it('a worker that fails to start, or throws, rejects with WORKER_FAILED, whether it fails before the pool listens or after', async () => {
    // The pool spawns its workers before it has their SPS/PPS and listens once it has them; a worker
    // that failed in between must still be heard (the transport keeps the failure).
    const early = await page.evaluate(() => window.pool.writeFails(2, true));
    expect(early).toMatchObject({ name: 'Mp4ForgeError', code: 'WORKER_FAILED', message: expect.stringMatching(/failed at once \(simulated\)/) });
    // A script that cannot load: its error comes after a request, when the pool is listening.
    const script = /encode-worker\.browser-[\w-]+\.js$/;
    await page.route(script, (route) => route.fulfill({ status: 404, body: 'not here' }));
    try {
      const late = await page.evaluate(() => window.pool.writeFails(2, false));
      expect(late).toMatchObject({ name: 'Mp4ForgeError', code: 'WORKER_FAILED', message: expect.stringMatching(/could not start/) });
    } finally {
      await page.unroute(script);
    }
    // A script that throws as it runs: an uncaught error inside the worker, whose message the
    // failure carries.
    await page.route(script, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: "throw new Error('the worker script threw');" }));
    try {
      const threw = await page.evaluate(() => window.pool.writeFails(2, false));
      expect(threw).toMatchObject({ name: 'Mp4ForgeError', code: 'WORKER_FAILED', message: expect.stringMatching(/the worker script threw/) });
    } finally {
      await page.unroute(script);
    }
    expect(pageErrors).toEqual([]);
  });
});

declare global {
  interface Window {
    pool: {
      render(workers: number | 'auto', scene: string): Promise<Run>;
      write(workers: number): Promise<Run>;
      reuse(): Promise<{ render: string; write: string; spawned: number; threadsStarted: number }>;
      fail(workers: number): Promise<{ name: string; code: string; frameIndex?: number; message: string } | string>;
      writeFails(workers: number, atOnce: boolean): Promise<{ name: string; code: string; message: string } | string>;
    };
  }
}
