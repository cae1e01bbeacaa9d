// `--workers` and `--scene` on the built CLI (dist/cli.js, so the built dist/encode-worker.js is
// what runs): pooled output equals the in-process output byte for byte; scenes load from a path.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds it) before this test file`);
const SCENE = fileURLToPath(new URL('./fixtures/scenes/ramp.mjs', import.meta.url));

function cli(args: string[], input?: Uint8Array): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const size = ['--width', '320', '--height', '240', '--frames', '45', '--gop', '10'];

describe('mp4forge --workers', () => {
  it('render --workers 2 and without workers write identical files; --scene FILE renders in workers', () => {
    const a = tmpFile('cli-w0.mp4');
    const b = tmpFile('cli-w2.mp4');
    const c = tmpFile('cli-scene.mp4');
    expect(cli(['render', ...size, '--pattern', 'plasma', '--out', a]).code).toBe(0);
    const r = cli(['render', ...size, '--pattern', 'plasma', '--workers', '2', '--out', b, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).frames).toBe(45);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const s = cli(['render', ...size, '--scene', SCENE, '--workers', 'auto', '--melody', '--out', c, '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).frames).toBe(45);
  });

  it('the scene render decodes cleanly with the right frame count', async () => {
    const c = tmpFile('cli-scene.mp4');
    const probe = await ffprobe(c, { count: true });
    expect(probe.streams.find((x) => x.codec_type === 'video')?.nb_read_frames).toBe('45');
    expect((await ffmpegDecodeCheck(c)).ok).toBe(true);
  });

  it('encode --workers 2 from stdin equals encode without workers', () => {
    const frames = new Uint8Array(320 * 240 * 4 * 40);
    for (let i = 0; i < frames.length; i++) frames[i] = (i * 7 + (i >> 12)) & 255;
    const a = tmpFile('cli-enc0.mp4');
    const b = tmpFile('cli-enc2.mp4');
    expect(cli(['encode', '--width', '320', '--height', '240', '--gop', '10', '--out', a], frames).code).toBe(0);
    const r = cli(['encode', '--width', '320', '--height', '240', '--gop', '10', '--workers', '2', '--out', b], frames);
    expect(r.code, r.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
  });

  it('rejects a bad --workers value; --scene with --workers 0 draws on the main thread, same bytes', () => {
    const bad = cli(['render', ...size, '--workers', 'many', '--out', tmpFile('x.mp4')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--workers must be 'auto' or a whole number/);
    const [y, z] = [tmpFile('y.mp4'), tmpFile('z.mp4')];
    const zero = cli(['render', ...size, '--scene', SCENE, '--workers', '0', '--out', y]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(cli(['render', ...size, '--scene', SCENE, '--workers', '2', '--out', z]).code).toBe(0);
    expect(Buffer.compare(readFileSync(y), readFileSync(z))).toBe(0);
  });
});
