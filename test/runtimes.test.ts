// The built package in each server-side runtime, as an installed dependency: Node through
// `require` (CJS build) and `import` (ESM build), Bun and Deno from their npm packages, and an
// AWS-Lambda-style handler invoked like the platform does. Every MP4 is checked with ffprobe.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { workDir } from './helpers/render.js';

const ROOT = resolve('.');
const BUN = join(ROOT, 'node_modules/.bin/bun');
const DENO = join(ROOT, 'node_modules/.bin/deno');

/** Whether a runtime binary starts here; if not, the exact error, shown as the skip reason. */
function probeRuntime(bin: string): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { ok: false, reason: `${bin} --version: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${bin} --version exited ${r.status}: ${(r.stderr || r.stdout).trim()}` };
  return { ok: true, version: r.stdout.trim().split('\n')[0] };
}
const bun = probeRuntime(BUN);
const deno = probeRuntime(DENO);
for (const [name, p] of [['Bun', bun], ['Deno', deno]] as const) {
  if (!p.ok) console.warn(`\n[mp4forge] ${name} test SKIPPED: ${p.reason}\n`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function runIn(cwd: string, cmd: string, args: string[]): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** ffprobe: 160×120 H.264, 30 frames at 15 fps, and 2 s of MP3; ffmpeg decodes it without errors. */
async function checkRender(file: string): Promise<void> {
  const probe = await ffprobe(file, { count: true });
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  expect(v?.codec_name).toBe('h264');
  expect([v?.width, v?.height]).toEqual([160, 120]);
  expect(Number(v?.nb_read_frames)).toBe(30);
  expect(v?.avg_frame_rate).toBe('15/1');
  expect(a?.codec_name).toBe('mp3');
  expect(Number(a?.duration)).toBeCloseTo(2, 1);
  expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
}

describe('runtimes (built package, fresh processes)', () => {
  // A throwaway app with mp4forge "installed": node_modules/mp4forge links to this checkout, so
  // resolution goes through package.json `exports` like an npm install.
  const app = join(workDir, 'runtime-app');
  let reference: Buffer;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/index.cjs'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    }
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    if (!existsSync(join(app, 'node_modules/mp4forge'))) symlinkSync(ROOT, join(app, 'node_modules/mp4forge'), 'dir');
    writeFileSync(join(app, 'package.json'), '{"name":"runtime-app","private":true}\n');
    for (const f of ['render.mjs', 'render.cjs', 'read-frames.mjs']) copyFileSync(join(ROOT, 'test/fixtures/runtimes', f), join(app, f));
    copyFileSync(join(ROOT, 'examples/serverless/handler.mjs'), join(app, 'handler.mjs'));
  });

  async function render(
    label: string,
    cmd: string,
    args: string[],
  ): Promise<{ file: string; out: { frames: number; bytes: number; audioSeconds: number; entry: string | null } }> {
    const file = join(app, `${label}.mp4`);
    const r = await runIn(app, cmd, [...args, file]);
    expect(r.code, `${label} failed:\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(out).toMatchObject({ frames: 30, audioSeconds: 2 });
    expect(readFileSync(file).length).toBe(out.bytes);
    await checkRender(file);
    return { file, out };
  }

  it('Node, import (ESM build, dist/index.js)', async () => {
    const { file, out } = await render('node-esm', process.execPath, ['render.mjs']);
    expect(realpathSync(new URL(out.entry as string))).toBe(join(ROOT, 'dist/index.js'));
    reference = readFileSync(file);
  });

  it('Node, require (CJS build, dist/index.cjs) writes the same bytes', async () => {
    const { file, out } = await render('node-cjs', process.execPath, ['render.cjs']);
    expect(realpathSync(out.entry as string)).toBe(join(ROOT, 'dist/index.cjs'));
    expect(readFileSync(file).equals(reference)).toBe(true);
  });

  it.skipIf(!bun.ok)(`Bun (${bun.ok ? bun.version : 'not runnable'}) writes the same bytes`, async () => {
    const { file } = await render('bun', BUN, ['render.mjs']);
    expect(readFileSync(file).equals(reference)).toBe(true);
  });

  it.skipIf(!deno.ok)(`Deno (${deno.ok ? deno.version : 'not runnable'}, node_modules resolution) writes the same bytes`, async () => {
    const { file } = await render('deno', DENO, ['run', '-A', 'render.mjs']);
    expect(readFileSync(file).equals(reference)).toBe(true);
  });

  // Node reads a pipe on a thread of its own; Bun and Deno read it on their event loop.
  const runtimesReading = [
    ['Node', { ok: true as const, version: process.version }, `"${process.execPath}" read-frames.mjs`],
    ['Bun', bun, `"${BUN}" read-frames.mjs`],
    ['Deno', deno, `"${DENO}" run -A read-frames.mjs`],
  ] as const;
  for (const [name, probe, command] of runtimesReading) {
    it.skipIf(!probe.ok)(`${name}: readRawFrames(0, 10) cuts a piped stdin into frames`, async () => {
      const r = await runIn(app, 'sh', ['-c', `printf 'abcdefghijklmnopqrstuvwxyz0123456' | ${command}`]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toEqual({
        got: ['abcdefghij', 'klmnopqrst', 'uvwxyz0123'],
        read: { frames: 3, bytes: 33, leftover: 3 },
      });
    });
  }

  it('serverless: examples/serverless/handler.mjs invoked Lambda-style returns a base64 MP4', async () => {
    const r = await runIn(app, process.execPath, [join(ROOT, 'test/helpers/lambda-invoke.mjs'), 'handler.mjs', 'seconds=1.5&pattern=bars']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { statusCode: number; isBase64Encoded: boolean; headers: Record<string, string>; body: string };
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(res.headers['content-type']).toBe('video/mp4');
    const file = join(app, 'lambda.mp4');
    writeFileSync(file, Buffer.from(res.body, 'base64'));
    const probe = await ffprobe(file, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    expect([v?.codec_name, v?.width, v?.height, Number(v?.nb_read_frames)]).toEqual(['h264', 320, 180, 36]);
    expect(a?.codec_name).toBe('mp3');
    expect(Number(a?.duration)).toBeCloseTo(1.5, 1);
    expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
  });

  it('serverless: a bad query gets a 400 with the reason, not a crash', async () => {
    const r = await runIn(app, process.execPath, [join(ROOT, 'test/helpers/lambda-invoke.mjs'), 'handler.mjs', 'seconds=600']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/seconds must be in/);
  });
});
