// Cut MP3s (issue 14, item 8). A file cut short keeps its Xing/Info header and LAME tag, which
// describe the whole file: applying that tag's end padding to the cut file throws away real
// samples. The expected numbers come from ffprobe on the uncut file (packet positions, start
// time) and the expected sound from ffmpeg decoding the uncut file, never from our parser.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, parseMp3, renderVideo, type AudioLength, type OutputResult } from '../src/index.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { probeAudio, probePacketPositions, type PacketPos } from './helpers/mp3-corpus.js';
import { decodeAudioF32, FFMPEG, ffprobe, run } from './helpers/oracles.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const RATE = 44100;
const SPF = 1152;
/** Bytes kept of the 12 s file: a cut in the middle of a frame, about 3 s in. */
const CUT = 50_000;
const W = 64;
const H = 64;
const FPS = 10;
/** 4 s of video: longer than the ~3 s of audio the cut keeps. */
const FRAMES = 40;

let dir: string;
let full: string;
let cut: string;
let cutBytes: Uint8Array;
let packets: PacketPos[];
/** Encoder delay + decoder delay (529), from ffprobe's start time of the uncut file. */
let skip: number;
/** Whole audio frames in the cut file (ffprobe packets of the uncut file that end before CUT). */
let complete: number;
/** Every sample the whole frames give back after the start delay: what must be kept. */
let expected: number;
/** The uncut file decoded by ffmpeg with its gapless trim: sample 0 is the first real sample. */
let reference: Float32Array;

function mp3(path: string, rate: number, kbps: number, seconds: number): Promise<void> {
  const source = `aevalsrc=exprs='0.4*sin(2*PI*(200+400*t)*t)+0.2*sin(2*PI*3100*t)+0.03*(random(0)-0.5)':s=${rate}:d=${seconds}`;
  return run(FFMPEG, ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-c:a', 'libmp3lame', '-b:a', `${kbps}k`, path]).then((r) => {
    if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp4forge-mp3cut-'));
  full = join(dir, 'full.mp3');
  await mp3(full, RATE, 128, 12);
  packets = await probePacketPositions(full);
  skip = Math.round((await probeAudio(full)).start_time * RATE);
  cutBytes = new Uint8Array(readFileSync(full).subarray(0, CUT));
  cut = join(dir, 'cut.mp3');
  writeFileSync(cut, cutBytes);
  complete = packets.filter((p) => p.pos + p.size <= CUT).length;
  expected = complete * SPF - skip;
  reference = (await decodeAudioF32(full)).samples;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MP4FORGE_DEBUG: '' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

async function mux(audio: Uint8Array | string, audioLength: AudioLength): Promise<{ file: string; result: OutputResult }> {
  const w = await createMp4Writer({ width: W, height: H, fps: FPS, output: { buffer: true }, audio, audioLength });
  await w.addFrames(FRAMES, 'gradient');
  const result = await w.finish();
  const file = join(dir, `cut-${audioLength}.mp4`);
  writeFileSync(file, result.data as Uint8Array);
  return { file, result };
}

describe('an MP3 cut short (its LAME tag written for the whole file)', () => {
  it('the oracle sees a cut file: fewer whole frames than the uncut file, the last one cut', () => {
    expect(packets.length).toBeGreaterThan(400);
    expect(complete).toBeGreaterThan(100);
    expect(complete).toBeLessThan(packets.length);
    expect(packets[complete].pos).toBeLessThan(CUT); // a frame begins but does not end before CUT
  });

  it('parseMp3 keeps every sample of the whole frames and reports the frame-count mismatch', () => {
    const r = parseMp3(cutBytes);
    expect(r.frames.length).toBe(complete);
    expect(r.infoFrame?.frames).toBe(packets.length);
    expect(r.playableSamples).toBe(expected);
    expect(r.warnings).toHaveLength(1);
    const w = r.warnings[0];
    expect(w.code).toBe('MP3_FRAME_COUNT_MISMATCH');
    expect(w.message).toContain(`declares ${packets.length} audio frames`);
    expect(w.message).toContain(`${complete} were found`);
    expect(w.message).toMatch(/padding .* not applied/);
    expect(w.details).toMatchObject({ declaredFrames: packets.length, foundFrames: complete });
    // The uncut file: the counts agree, the padding applies, no warning.
    const whole = parseMp3(new Uint8Array(readFileSync(full)));
    expect(whole.warnings).toEqual([]);
    expect(whole.playableSamples).toBe(12 * RATE);
  });

  it.each(['full', 'trim'] as const)("audioLength '%s': the MP4 plays every kept sample, identical to the uncut file's decode", async (audioLength) => {
    const { file, result } = await mux(cutBytes, audioLength);
    expect(result.audio?.warnings?.map((w) => w.code)).toEqual(['MP3_FRAME_COUNT_MISMATCH']);
    expect(result.audio?.durationSeconds).toBe(expected / RATE);
    const report = assertValidIsoBmff(result.data as Uint8Array);
    const audio = report.tracks.find((t) => t.handler === 'soun');
    expect(audio?.edits?.[0].mediaTime).toBe(skip);
    const a = (await ffprobe(file)).streams.find((s) => s.codec_type === 'audio');
    expect(Number(a?.duration_ts)).toBe(expected);
    // ffmpeg trims the start to the sample and decodes the last packet whole: at least `expected`
    // samples come out, and the first `expected` are the uncut file's, sample for sample.
    const decoded = (await decodeAudioF32(file)).samples;
    expect(decoded.length).toBeGreaterThanOrEqual(expected);
    let worst = 0;
    for (let i = 0; i < expected; i++) worst = Math.max(worst, Math.abs(decoded[i] - reference[i]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('onWarning gets the same warning at finish(), for createMp4Writer and renderVideo', async () => {
    const seen: string[] = [];
    const w = await createMp4Writer({ width: W, height: H, fps: FPS, audio: cutBytes, output: { buffer: true }, onWarning: (x) => seen.push(x.code) });
    // 4 s of video: the ~3 s of audio are read to their end, where the cut shows.
    for (let i = 0; i < FRAMES; i++) await w.addFrame(new Uint8Array(W * H * 4));
    const r = await w.finish();
    expect(seen).toEqual(['MP3_FRAME_COUNT_MISMATCH']);
    expect(r.audio?.warnings?.map((x) => x.code)).toEqual(seen);
    const rendered: string[] = [];
    const onWarning = (x: { message: string }) => rendered.push(x.message);
    await renderVideo({ width: W, height: H, fps: FPS, frames: FRAMES, scene: 'bars', workers: 0, audio: cut, output: { buffer: true }, onWarning });
    expect(rendered).toHaveLength(1);
    expect(rendered[0]).toContain(`declares ${packets.length} audio frames`);
  });

  it('the CLI warns on stderr (and in --json) and still writes the file', async () => {
    const out = join(dir, 'cli-cut.mp4');
    const size = ['--width', String(W), '--height', String(H), '--fps', String(FPS), '--frames', String(FRAMES)];
    const r = await cli(['render', ...size, '--pattern', 'gradient', '--audio', cut, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('mp4forge: warning: '));
    expect(warnings, r.stderr).toHaveLength(1);
    expect(warnings[0]).toContain(`declares ${packets.length} audio frames`);
    expect(r.stderr).toContain(`${(expected / RATE).toFixed(3)} s of MP3 audio`);
    expect(Number((await ffprobe(out)).streams.find((s) => s.codec_type === 'audio')?.duration_ts)).toBe(expected);

    const j = await cli(['render', ...size, '--audio', cut, '--out', out, '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(j.stderr).toContain('mp4forge: warning: ');
    const summary = JSON.parse(j.stdout) as { audio: { warnings: { code: string; message: string }[] } };
    expect(summary.audio.warnings.map((w) => w.code)).toEqual(['MP3_FRAME_COUNT_MISMATCH']);

    // stitch muxes the soundtrack itself: the same warning, the same kept samples.
    const part = join(dir, 'part1.m4s');
    const seg = await cli(['render', ...size, '--segment', '1/1', '--out', part]);
    expect(seg.code, seg.stderr).toBe(0);
    const stitched = join(dir, 'stitched.mp4');
    const s = await cli(['stitch', part, '--audio', cut, '--out', stitched]);
    expect(s.code, s.stderr).toBe(0);
    const mismatch = (l: string) => l.startsWith('mp4forge: warning: ') && l.includes(`declares ${packets.length} audio frames`);
    expect(s.stderr.split('\n').filter(mismatch)).toHaveLength(1);
    expect(Number((await ffprobe(stitched)).streams.find((x) => x.codec_type === 'audio')?.duration_ts)).toBe(expected);
  });

  it('probe shows the warning and the samples it keeps', async () => {
    const r = await cli(['probe', cut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Warning: .*declares \d+ audio frames/m);
    expect(r.stdout).toContain(`→ ${expected} playable samples`);
    const j = await cli(['probe', cut, '--json']);
    const parsed = JSON.parse(j.stdout) as { playableSamples: number; warnings: { code: string }[] };
    expect(parsed.playableSamples).toBe(expected);
    expect(parsed.warnings.map((w) => w.code)).toEqual(['MP3_FRAME_COUNT_MISMATCH']);
    // The uncut file has nothing to warn about.
    const ok = await cli(['probe', full]);
    expect(ok.stdout).not.toMatch(/Warning/);
  });
});

describe('an MP3 with no audio to play', () => {
  /** ffmpeg-made MP3 cut `at(packets)` bytes in, written next to the others. */
  async function cutFile(
    name: string,
    rate: number,
    kbps: number,
    at: (p: PacketPos[]) => number,
  ): Promise<{ path: string; src: string; bytes: Uint8Array; packets: PacketPos[] }> {
    const src = join(dir, `${name}-src.mp3`);
    await mp3(src, rate, kbps, 2);
    const p = await probePacketPositions(src);
    const bytes = new Uint8Array(readFileSync(src).subarray(0, at(p)));
    const path = join(dir, `${name}.mp3`);
    writeFileSync(path, bytes);
    return { path, src, bytes, packets: p };
  }

  async function rejection(audio: Uint8Array | ReadableStream<Uint8Array>): Promise<Mp4ForgeError> {
    const out = join(dir, 'never.mp4');
    const err = await createMp4Writer({ width: W, height: H, fps: FPS, output: out, audio }).then(
      async (w) => {
        await w.abort();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err, 'the writer must refuse the MP3 when it is created').toBeInstanceOf(Mp4ForgeError);
    expect(existsSync(out)).toBe(false);
    return err as Mp4ForgeError;
  }

  it('no complete audio frame (the Info frame, then a cut frame): INVALID_MP3 everywhere', async () => {
    // 192 kbit/s: the Info frame (626 bytes) and 100 bytes of the first audio frame.
    const { path, bytes, packets: p } = await cutFile('no-frame', RATE, 192, (q) => q[0].pos + 100);
    expect(bytes.length).toBeLessThan(p[0].pos + p[0].size);
    expect(() => parseMp3(bytes)).toThrow(expect.objectContaining({ code: 'INVALID_MP3', message: expect.stringMatching(/no audio frames.*Expected/) }));
    expect((await rejection(bytes)).code).toBe('INVALID_MP3');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 300));
        c.enqueue(bytes.slice(300));
        c.close();
      },
    });
    expect((await rejection(stream)).code).toBe('INVALID_MP3');

    const out = join(dir, 'cli-no-frame.mp4');
    const r = await cli(['render', '--width', String(W), '--height', String(H), '--fps', String(FPS), '--frames', '5', '--audio', path, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^mp4forge: .*INVALID_MP3.*no audio frames/m);
    expect(existsSync(out)).toBe(false);
    const probe = await cli(['probe', path]);
    expect(probe.code).toBe(1);
    expect(probe.stderr).toMatch(/no audio frames/);
  });

  it('one whole frame that holds only the encoder and decoder delay: INVALID_MP3, not an empty track', async () => {
    // 8 kHz (MPEG-2.5, 576 samples a frame): the Info frame and the first audio frame, whole;
    // its 576 samples are all delay (576 + 529), so no sample of the source is in the file.
    const { src, bytes, packets: p } = await cutFile('delay-only', 8000, 32, (q) => q[0].pos + q[0].size);
    expect(p[0].size).toBeLessThan(bytes.length);
    expect(Math.round((await probeAudio(src)).start_time * 8000)).toBeGreaterThan(576);
    const err = await rejection(bytes);
    expect(err.code).toBe('INVALID_MP3');
    expect(err.message).toMatch(/1 audio frame .*576 samples.*delay/);
    expect(() => parseMp3(bytes)).toThrow(expect.objectContaining({ code: 'INVALID_MP3' }));
  });
});
