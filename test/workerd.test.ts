// Cloudflare's workerd (through miniflare 4), running examples/cloudflare-worker/worker.js bundled
// as wrangler bundles it: `mp4forge` resolves to its workerd build, whose H.264 encoder is the
// `.wasm` module import workerd compiles itself. The responses are checked with ffprobe and ffmpeg,
// and against the bytes Node writes for the same clip.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Miniflare } from 'miniflare';
// @ts-expect-error plain .mjs helper shared with bench/workerd.mjs (no type declarations)
import { bundleWorker, compatibilityDate } from '../bench/lib/worker-bundle.mjs';
import { ffmpegDecodeCheck, ffprobe, ffprobePackets } from './helpers/oracles.js';
import { workDir } from './helpers/render.js';
import { audio, createMp4Writer, encodePcmToMp3, probeMp4, bytesSource, type Layout, type AudioInput } from '../src/index.js';

const EXAMPLE = resolve('examples/cloudflare-worker');

type Attempt = { ok: true; value: unknown } | { ok: false; name: string; code?: string; message: string; cause?: string };

async function startWorker(entry: string, dir: string): Promise<Miniflare> {
  const outDir = join(workDir, dir);
  const { script, wasmModules } = (await bundleWorker({ entry, outDir })) as { script: string; wasmModules: string[] };
  const { Miniflare } = await import('miniflare');
  // Miniflare keeps a directory in os.tmpdir() and removes it in dispose(); made inside this file's
  // work directory, it goes with that directory even if a dispose under load does not finish.
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = workDir;
  try {
    // The modules as wrangler uploads them: the bundle, and each .wasm it imports as a CompiledWasm module.
    return new Miniflare({
      modules: [{ type: 'ESModule', path: script }, ...wasmModules.map((path) => ({ type: 'CompiledWasm' as const, path }))],
      modulesRoot: outDir,
      compatibilityDate: compatibilityDate(join(EXAMPLE, 'wrangler.toml')) as string,
    });
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
}

/** The same clip as the example renders, written by Node from the sources. */
async function nodeClip(layout: Layout, seconds: number, soundtrack: AudioInput): Promise<Uint8Array> {
  const writer = await createMp4Writer({ width: 320, height: 180, fps: 24, audio: soundtrack, video: { gop: 24 }, layout, output: { buffer: true } });
  await writer.addFrames(Math.round(seconds * 24), 'plasma');
  return (await writer.finish()).data as Uint8Array;
}

async function checkClip(bytes: Uint8Array, name: string, frames: number): Promise<Awaited<ReturnType<typeof ffprobe>>> {
  const file = join(workDir, name);
  writeFileSync(file, bytes);
  const probe = await ffprobe(file, { count: true });
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  expect(v?.codec_name).toBe('h264');
  expect([v?.width, v?.height]).toEqual([320, 180]);
  expect(Number(v?.nb_read_frames)).toBe(frames);
  expect(a?.codec_name).toBe('mp3');
  expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
  return probe;
}

describe('Cloudflare workerd (miniflare 4): examples/cloudflare-worker', () => {
  let mf: Miniflare;

  beforeAll(async () => {
    mf = await startWorker(join(EXAMPLE, 'worker.js'), 'workerd-example');
    await mf.ready;
  });
  afterAll(async () => {
    await mf?.dispose();
  }, 60_000);

  it('streams a fragmented clip while it encodes: the moov arrives first, then one fragment per GOP; ffprobe/ffmpeg read it; same bytes as Node', async () => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch('http://worker/clip.mp4?seconds=3&pattern=plasma');
    const headersAt = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const parts: { at: number; bytes: Uint8Array }[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push({ at: performance.now() - t0, bytes: r.value });
    const bytes = new Uint8Array(Buffer.concat(parts.map((p) => p.bytes)));
    // The index (ftyp + moov) came in the first read, long before the body ended: the encode was still running.
    const head = await probeMp4(bytesSource(bytes));
    expect(head.layout).toBe('fragmented');
    expect(head.fragments).toBeGreaterThanOrEqual(3); // 72 frames, a fragment per GOP (24 frames) at least
    expect(parts.length).toBeGreaterThan(1);
    const first = parts[0].bytes;
    expect(new TextDecoder().decode(first.subarray(4, 8))).toBe('ftyp');
    const end = parts.at(-1)!.at;
    const ms = (t: number) => `${t.toFixed(0)} ms`;
    console.info(`[mp4forge] workerd stream: headers at ${ms(headersAt)}, ${parts.length} reads from ${ms(parts[0].at)} to ${ms(end)}`);
    // Headers and the first bytes came while frames were still being encoded: the body then took
    // most of the request's time (a buffered answer would arrive in one burst at the end).
    expect(parts[0].at - headersAt).toBeLessThan((end - headersAt) / 2);
    await checkClip(bytes, 'workerd-fragmented.mp4', 72);
    expect(Buffer.compare(bytes, await nodeClip('fragmented', 3, audio.melody({ seconds: 3 })))).toBe(0);
  });

  it('answers a small clip as faststart from a buffer (moov before mdat), byte-identical to Node', async () => {
    const res = await mf.dispatchFetch('http://worker/clip.mp4?seconds=2&pattern=plasma&layout=faststart');
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect((await probeMp4(bytesSource(bytes))).layout).toBe('faststart');
    const probe = await checkClip(bytes, 'workerd-faststart.mp4', 48);
    expect(Number(probe.format.duration)).toBeCloseTo(2, 1);
    expect(Buffer.compare(bytes, await nodeClip('faststart', 2, audio.melody({ seconds: 2 })))).toBe(0);
  });

  it('muxes an uploaded MP3 as is (POST): its packets are the uploaded frames', async () => {
    const parts: Uint8Array[] = [];
    for await (const c of encodePcmToMp3(audio.chord({ seconds: 3, frequencies: [330, 440], sampleRate: 44100, channels: 2 }), { kbps: 128 })) parts.push(c);
    const mp3 = new Uint8Array(Buffer.concat(parts));
    const res = await mf.dispatchFetch('http://worker/clip.mp4?seconds=2&layout=faststart', { method: 'POST', body: mp3 });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await checkClip(bytes, 'workerd-upload.mp4', 48);
    const file = join(workDir, 'workerd-upload.mp4');
    const audioPackets = await ffprobePackets(file, 'a:0');
    // 2 s of 44.1 kHz MP3 (1152 samples a frame), trimmed to the video: about 77 frames, copied byte for byte.
    expect(audioPackets.length).toBeGreaterThanOrEqual(76);
    expect(audioPackets.length).toBeLessThanOrEqual(79);
    expect(Buffer.compare(bytes, await nodeClip('faststart', 2, mp3))).toBe(0);
  });

  it('refuses a bad query with 400 and the accepted values', async () => {
    const res = await mf.dispatchFetch('http://worker/clip.mp4?seconds=60');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/seconds in \(0, 10\]/);
  });
});

describe('Cloudflare workerd (miniflare 4): what the platform refuses, and the workerd build', () => {
  let mf: Miniflare;

  beforeAll(async () => {
    mf = await startWorker(resolve('test/fixtures/workerd/worker.mjs'), 'workerd-facts');
  });
  afterAll(async () => {
    await mf?.dispose();
  }, 60_000);

  it('refuses to compile WASM from bytes and to run new Function (why the encoder comes in as a .wasm module)', async () => {
    const res = (await (await mf.dispatchFetch('http://worker/platform')).json()) as Record<string, Attempt>;
    expect(res.compileBytes).toMatchObject({ ok: false, name: 'CompileError', message: 'WebAssembly.compile(): Wasm code generation disallowed by embedder' });
    expect(res.instantiateBytes).toMatchObject({
      ok: false,
      name: 'CompileError',
      message: 'WebAssembly.instantiate(): Wasm code generation disallowed by embedder',
    });
    expect(res.newFunction).toMatchObject({ ok: false, name: 'EvalError', message: 'Code generation from strings disallowed for this context' });
  });

  it("encodes with 'wasm' and 'auto' (the module import), and refuses 'h264-mp4-encoder' and a WorkerPool with UNSUPPORTED_RUNTIME", async () => {
    const res = (await (await mf.dispatchFetch('http://worker/encoders')).json()) as Record<string, Attempt>;
    expect(res.wasm).toMatchObject({ ok: true, value: { videoEncoder: 'wasm' } });
    expect(res.auto).toMatchObject({ ok: true, value: { videoEncoder: 'wasm' } });
    expect(res.hme).toMatchObject({ ok: false, name: 'Mp4ForgeError', code: 'UNSUPPORTED_RUNTIME' });
    expect((res.hme as { message: string }).message).toMatch(/new Function/);
    expect(res.workerPool).toMatchObject({ ok: false, name: 'Mp4ForgeError', code: 'UNSUPPORTED_RUNTIME', message: expect.stringMatching(/one thread/) });
  });

  it('generates audio, encodes it to MP3 and parses it back: ffprobe reads 1 s of MP3 with the same frame count', async () => {
    const res = await mf.dispatchFetch('http://worker/mp3');
    expect(res.status).toBe(200);
    const file = join(workDir, 'workerd.mp3');
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    const probe = await ffprobe(file, { count: true });
    expect(probe.streams[0]?.codec_name).toBe('mp3');
    expect(Number(probe.format.duration)).toBeCloseTo(1, 0);
    expect(Number(res.headers.get('x-mp3-frames'))).toBe(Number(probe.streams[0]?.nb_read_packets));
  });
});
