// Property-based test of createMp4Writer's options (fast-check). Each option is drawn from valid
// and invalid values; a small model written from the documented rules (README, src/options.ts TSDoc)
// says which error code each invalid value must produce. Whatever the combination:
//  - invalid → rejected with an Mp4ForgeError whose code is one of the codes the invalid options
//    map to (exactly that code when only one option is wrong), and no output file is left;
//  - valid → a tiny file (1–3 frames) that ffprobe accepts with the right size, frame count and
//    duration, that decodes without error and that passes the structural ISO-BMFF check.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, type Mp4WriterOptions, type Sink } from '../src/index.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { FFMPEG, ffprobe, run } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { tempDir } from './helpers/temp.js';

/** An option value and the code it must be rejected with (null: valid). */
interface Choice<T = unknown> {
  value: T;
  code: string | null;
  label: string;
  /** The video options' choice: the backend that encodes when they are valid (absent: the default, 'wasm'). */
  backend?: string;
}
const ok = <T>(value: T, label = JSON.stringify(value)): Choice<T> => ({ value, code: null, label });
const bad = <T>(value: T, code: string, label = JSON.stringify(value)): Choice<T> => ({ value, code, label });

const DIM = 'INVALID_DIMENSIONS';
const OPT = 'INVALID_OPTION';
const RUNTIME = 'UNSUPPORTED_RUNTIME';

// --- sizes -----------------------------------------------------------------------------------------

const validSize = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })).map(([w, h]) => [2 * w, 2 * h] as const), // tiny, odd macroblock counts
  fc.constantFrom([2, 2] as const, [322, 242] as const, [16, 1080] as const, [1920, 8] as const), // edges
);
const badSide = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((n) => 2 * n + 1), // odd
  fc.constantFrom(0, -2, 1.5, 4098, 8192, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom('64', null, undefined) as fc.Arbitrary<unknown>,
);
const sizeArb: fc.Arbitrary<{ width: unknown; height: unknown; code: string | null; label: string }> = fc.oneof(
  { weight: 4, arbitrary: validSize.map(([width, height]) => ({ width, height, code: null, label: `${width}×${height}` })) },
  { weight: 1, arbitrary: fc.tuple(badSide, validSize).map(([w, [, h]]) => ({ width: w, height: h, code: DIM, label: `${String(w)}×${h}` })) },
  { weight: 1, arbitrary: fc.tuple(validSize, badSide).map(([[w], h]) => ({ width: w, height: h, code: DIM, label: `${w}×${String(h)}` })) },
  // Each side legal, too many macroblocks together (H.264 level 5.2: 36864).
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([4096, 4096], [4096, 2320], [3840, 2500])
      .map(([w, h]) => ({ width: w, height: h, code: DIM, label: `${w}×${h} (macroblocks)` })),
  },
);

// --- frame rate ------------------------------------------------------------------------------------

/** The documented rule: a positive integer or a fraction of positive integers, 0.1 ≤ rate ≤ 240. */
function fractionPick(num: number, den: number, as: 'object' | 'string'): Choice {
  const value = as === 'object' ? { num, den } : `${num}/${den}`;
  const rate = num / den;
  return rate >= 0.1 && rate <= 240 ? ok(value) : bad(value, OPT);
}
const fpsArb: fc.Arbitrary<Choice> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 240 }).map((n) => ok(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 240 }).map((n) => ok(` ${n} `)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 1001 }), fc.constantFrom<'object' | 'string'>('object', 'string'))
      .map(([n, d, as]) => fractionPick(n, d, as)),
  },
  { weight: 1, arbitrary: fc.constantFrom(ok({ num: 30000, den: 1001 }), ok('24000/1001'), ok({ num: 1, den: 10 })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<unknown>(0, -30, 29.97, 241, 1000, Number.NaN, 'fast', '30/0', '-30', '', { num: 30, den: 0 }, { num: 30 }, null, undefined, [30])
      .map((v) => bad(v, OPT, String(JSON.stringify(v)))),
  },
);

/** Rate of a valid fps value (what the file's duration must reflect). */
function rateOf(fps: unknown): { num: number; den: number } {
  if (typeof fps === 'number') return { num: fps, den: 1 };
  if (typeof fps === 'string') {
    const [a, b] = fps.split('/').map((s) => Number(s.trim()));
    return { num: a, den: b ?? 1 };
  }
  return fps as { num: number; den: number };
}

// --- video, layout, pixel format -------------------------------------------------------------------

const videoArb: fc.Arbitrary<Choice> = fc
  .record(
    {
      qp: fc.oneof(
        fc.integer({ min: 0, max: 51 }).map((v) => ok(v)),
        fc.constantFrom<unknown>(52, 20.5, '20', -1).map((v) => bad(v, OPT)),
      ),
      kbps: fc.oneof(
        fc.integer({ min: 240, max: 20_000 }).map((v) => ok(v)),
        fc.constantFrom<unknown>(0, -5, Number.NaN, Number.POSITIVE_INFINITY, 300_000, '500').map((v) => bad(v, OPT, String(v))),
      ),
      speed: fc.oneof(
        fc.integer({ min: 0, max: 10 }).map((v) => ok(v)),
        fc.constantFrom<unknown>(-1, 11, 2.5, 'fast').map((v) => bad(v, OPT)),
      ),
      gop: fc.oneof(
        fc.integer({ min: 1, max: 1000 }).map((v) => ok(v)),
        fc.constantFrom<unknown>(0, 1001, 1.5, '30').map((v) => bad(v, OPT)),
      ),
      temporalDenoise: fc.oneof(
        fc.boolean().map((v) => ok(v)),
        fc.constantFrom<unknown>(1, 'yes').map((v) => bad(v, OPT)),
      ),
      encoder: fc.oneof(
        fc.constantFrom('wasm', 'h264-mp4-encoder', 'auto').map((v) => ok(v)),
        fc.constant(bad('webcodecs', RUNTIME)), // Node has no VideoEncoder
        fc.constantFrom<unknown>('x264', '', 7).map((v) => bad(v, OPT)),
      ),
      bitrate: fc.constant(bad(3000, OPT)), // not an option: a typo must not be ignored
    },
    { requiredKeys: [] },
  )
  .map((fields) => {
    const value: Record<string, unknown> = {};
    const codes: string[] = [];
    for (const [k, p] of Object.entries(fields)) {
      value[k] = (p as Choice).value;
      if ((p as Choice).code) codes.push((p as Choice).code as string);
    }
    if ('qp' in fields && 'kbps' in fields) codes.push(OPT); // exclusive
    // Backend rules (README "Encoder backend", src/options.ts TSDoc): h264-mp4-encoder takes qp
    // 10–51 and is the only one with a temporal denoiser, so the default 'wasm' refuses
    // temporalDenoise and 'auto' (here in Node, without WebCodecs) picks h264-mp4-encoder for it;
    // WebCodecs has neither speed nor temporalDenoise. `backend` is the one that runs, decided
    // here once: the rules and the valid case's check of result.videoEncoder both read it.
    const encoder = value.encoder;
    const hme = encoder === 'h264-mp4-encoder' || (encoder === 'auto' && value.temporalDenoise === true);
    const backend = hme ? 'h264-mp4-encoder' : encoder === 'webcodecs' ? 'webcodecs' : 'wasm';
    const lowQp = typeof value.qp === 'number' && value.qp < 10;
    if (value.temporalDenoise === true && backend === 'wasm') codes.push(OPT);
    if (lowQp && backend === 'h264-mp4-encoder') codes.push(OPT);
    // minih264 denoises only at speeds 0 and 1: a higher speed with temporalDenoise would ignore it.
    if (value.temporalDenoise === true && backend === 'h264-mp4-encoder' && typeof value.speed === 'number' && value.speed > 1) codes.push(OPT);
    if (backend === 'webcodecs' && (value.speed !== undefined || value.temporalDenoise !== undefined)) codes.push(OPT);
    // The options are all checked before a backend is resolved, so a bad option wins over a backend this runtime lacks.
    return { value, code: codes.find((c) => c !== RUNTIME) ?? codes[0] ?? null, label: JSON.stringify(value), backend };
  });
const videoOrNot: fc.Arbitrary<Choice> = fc.oneof(
  fc.constant(ok(undefined, 'default')),
  videoArb,
  fc.constantFrom<unknown>(null, 5, 'fast').map((v) => bad(v, OPT)),
);

const layoutArb: fc.Arbitrary<Choice> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom<unknown>(undefined, 'faststart', 'progressive', 'fragmented').map((v) => ok(v, String(v))) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('moov-last', 'Fragmented', 3).map((v) => bad(v, OPT)) },
);
const FORMATS = ['rgba', 'bgra', 'rgb24', 'yuv420p'] as const;
const pixelArb: fc.Arbitrary<Choice> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom<unknown>(undefined, ...FORMATS).map((v) => ok(v, String(v))) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('nv12', 'RGBA', 0).map((v) => bad(v, OPT)) },
);

// --- output ----------------------------------------------------------------------------------------

type OutputKind = 'buffer' | 'file' | 'node-writable' | 'web-stream' | 'sink';
const outputArb: fc.Arbitrary<Choice> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<OutputKind>('buffer', 'file', 'node-writable', 'web-stream', 'sink').map((k) => ok(k, k)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(42, '', null, {}, { write: () => {} }).map((v) => bad(v, OPT, `output ${JSON.stringify(v)}`)) },
);

/** Builds the output for a kind and a way to get the bytes written. */
function makeOutput(kind: OutputKind, file: string): { output: Mp4WriterOptions['output']; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  const collected = () => new Uint8Array(Buffer.concat(chunks));
  switch (kind) {
    case 'buffer':
      return { output: { buffer: true }, bytes: () => new Uint8Array(0) };
    case 'file':
      return { output: file, bytes: () => new Uint8Array(readFileSync(file)) };
    case 'node-writable':
      return {
        output: new Writable({
          write(c: Buffer, _e, cb) {
            chunks.push(new Uint8Array(c));
            cb();
          },
        }),
        bytes: collected,
      };
    case 'web-stream':
      return { output: new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c.slice()) }), bytes: collected };
    case 'sink': {
      const sink: Sink = { write: async (b) => void chunks.push(b.slice()), close: async () => {}, abort: async () => {} };
      return { output: sink, bytes: collected };
    }
  }
}

// --- audio -----------------------------------------------------------------------------------------

let mp3Path = '';
let mp3Bytes = new Uint8Array(0);
const dir = tempDir('mp4forge-fuzz-opts-');
beforeAll(async () => {
  mp3Path = join(dir, 'tone.mp3');
  const r = await run(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=0.4:sample_rate=44100', '-c:a', 'libmp3lame', '-b:a', '96k',
    mp3Path,
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  mp3Bytes = new Uint8Array(readFileSync(mp3Path));
}, 60_000);

type AudioKind = 'none' | 'mp3-bytes' | 'mp3-path' | 'planes' | 'pull';
const audioArb: fc.Arbitrary<Choice<string>> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(ok<AudioKind>('none', 'no audio')) },
  { weight: 3, arbitrary: fc.constantFrom<AudioKind>('mp3-bytes', 'mp3-path', 'planes', 'pull').map((k) => ok(k, k)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      bad('random-bytes', 'INVALID_MP3'),
      bad('empty-bytes', 'INVALID_MP3'),
      bad('missing-path', OPT),
      bad('empty-planes', OPT),
      bad('rate-12345', OPT),
      bad('number', OPT),
    ),
  },
);
function makeAudio(kind: string): unknown {
  const tone = (n: number, rate: number) => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate));
  switch (kind) {
    case 'none':
      return undefined;
    case 'mp3-bytes':
      return mp3Bytes;
    case 'mp3-path':
      return mp3Path;
    case 'planes':
      return [tone(12_000, 44100), tone(12_000, 44100)];
    case 'pull': {
      let left = 9600;
      return {
        sampleRate: 48000,
        channels: 1,
        pull: (frames: number) => {
          const n = Math.min(frames, left);
          left -= n;
          return n === 0 ? null : [tone(n, 48000)];
        },
      };
    }
    case 'random-bytes':
      return Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24);
    case 'empty-bytes':
      return new Uint8Array(0);
    case 'missing-path':
      return '/nonexistent/dir/tone.mp3';
    case 'empty-planes':
      return [];
    case 'rate-12345':
      return { sampleRate: 12345, planes: [tone(1000, 12345)] };
    default:
      return 42;
  }
}
const audioLengthArb: fc.Arbitrary<Choice> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom<unknown>(undefined, 'trim', 'full', 'loop').map((v) => ok(v, String(v))) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('cut', 1).map((v) => bad(v, OPT)) },
);

// --- the property ----------------------------------------------------------------------------------

/** Every code an option can be rejected with, whatever the mix: the stable set users program against. */
const OPTION_CODES = new Set([DIM, OPT, RUNTIME, 'INVALID_MP3']);

/**
 * ffmpegDecodeCheck with a larger muxing queue: a 10 s frame (fps 1/10) over looped audio makes
 * ffmpeg hold hundreds of audio packets while the H.264 decoder keeps its only frame until the
 * end, and its default queue limit then fails the run ("Too many packets buffered") although
 * every packet decodes.
 */
async function decodeClean(file: string): Promise<{ ok: boolean; stderr: string }> {
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-xerror', '-i', file, '-max_muxing_queue_size', '9999', '-f', 'null', '-']);
  return { ok: r.code === 0 && r.stderr.trim() === '', stderr: r.stderr };
}

function frameBytes(format: string | undefined, w: number, h: number): number {
  if (format === 'rgb24') return w * h * 3;
  if (format === 'yuv420p') return (w * h * 3) / 2;
  return w * h * 4;
}

describe('createMp4Writer option fuzz', () => {
  it('invalid combinations reject with a stable code and leave no file; valid ones write a file ffprobe and ffmpeg accept', async () => {
    const tally = { valid: 0, invalid: 0, codes: {} as Record<string, number> };
    let n = 0;
    // Half the cases draw only valid values (else nearly every case would have some invalid option).
    const valid = <T extends { code: string | null }>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.filter((c) => c.code === null);
    const anyCase = fc.tuple(sizeArb, fpsArb, videoOrNot, layoutArb, pixelArb, outputArb, audioArb, audioLengthArb);
    const validCase = fc.tuple(
      valid(sizeArb),
      valid(fpsArb),
      valid(videoOrNot),
      valid(layoutArb),
      valid(pixelArb),
      valid(outputArb),
      valid(audioArb),
      valid(audioLengthArb),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(validCase, anyCase),
        fc.integer({ min: 1, max: 3 }),
        async ([size, fps, video, layout, pixel, output, audio, audioLength], frames) => {
          const picks = [{ code: size.code, label: size.label }, fps, video, layout, pixel, output, audio, audioLength];
          const expected = new Set(picks.map((p) => p.code).filter((c): c is string => c !== null));
          // An option that does nothing is refused: audioLength without a soundtrack.
          if (audio.value === 'none' && audioLength.value !== undefined) expected.add(OPT);
          const label = picks.map((p) => p.label).join(' | ');
          const file = tmpFile(`opts-${n++}.mp4`);
          const out =
            output.code === null
              ? makeOutput(output.value as OutputKind, file)
              : { output: output.value as Mp4WriterOptions['output'], bytes: () => new Uint8Array(0) };
          const options = {
            width: size.width,
            height: size.height,
            fps: fps.value,
            output: out.output,
            ...(video.value !== undefined ? { video: video.value } : {}),
            ...(layout.value !== undefined ? { layout: layout.value } : {}),
            ...(pixel.value !== undefined ? { pixelFormat: pixel.value } : {}),
            ...(audio.value !== 'none' ? { audio: makeAudio(audio.value) } : {}),
            ...(audioLength.value !== undefined ? { audioLength: audioLength.value } : {}),
          } as unknown as Mp4WriterOptions;

          const created = await createMp4Writer(options).then(
            (w) => ({ w, err: null }),
            (err: unknown) => ({ w: null, err }),
          );
          if (expected.size > 0) {
            tally.invalid++;
            if (created.w) await created.w.abort();
            expect(created.err, `${label}: accepted, expected ${[...expected].join('/')}`).toBeInstanceOf(Mp4ForgeError);
            const code = (created.err as Mp4ForgeError).code;
            tally.codes[code] = (tally.codes[code] ?? 0) + 1;
            expect(OPTION_CODES.has(code), `${label}: code ${code}`).toBe(true);
            if (expected.size === 1) expect(code, `${label}: ${(created.err as Error).message}`).toBe([...expected][0]);
            else expect([...expected], `${label}: ${(created.err as Error).message}`).toContain(code);
            expect((created.err as Error).message.length).toBeGreaterThan(10);
            expect(existsSync(file), `${label}: a rejected writer left a file`).toBe(false);
            return;
          }
          tally.valid++;
          expect(created.err, `${label}: rejected ${String(created.err)}`).toBeNull();
          const w = created.w!;
          const width = size.width as number;
          const height = size.height as number;
          const px = new Uint8Array(frameBytes(pixel.value as string | undefined, width, height));
          for (let i = 0; i < frames; i++) {
            px.fill((i * 60) & 255);
            await w.addFrame(px);
          }
          const r = await w.finish();
          expect(r.frames).toBe(frames);
          expect(r.videoEncoder, label).toBe(video.backend ?? 'wasm');
          const bytes = r.data ?? out.bytes();
          expect(bytes.length, label).toBe(r.bytes);
          if (output.value !== 'file') writeFileSync(file, bytes);
          assertValidIsoBmff(bytes);
          const probe = await ffprobe(file, { count: true });
          const v = probe.streams.find((s) => s.codec_type === 'video');
          expect(v?.codec_name, label).toBe('h264');
          expect([v?.width, v?.height], label).toEqual([width, height]);
          expect(Number(v?.nb_read_frames), label).toBe(frames);
          const { num, den } = rateOf(fps.value);
          expect(Number(v?.duration), label).toBeCloseTo((frames * den) / num, 3);
          const a = probe.streams.find((s) => s.codec_type === 'audio');
          if (audio.value === 'none') expect(a, label).toBeUndefined();
          else expect(a?.codec_name, label).toBe('mp3');
          const dec = await decodeClean(file);
          expect(dec.ok, `${label}: ${dec.stderr}`).toBe(true);
        },
      ),
      // FUZZ_SEED (and FUZZ_PATH) replay the case a failure printed: `{ seed: …, path: "…" }`.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 45), ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {}) },
    );
    console.log(`fuzz-writer-options: ${tally.valid} valid, ${tally.invalid} invalid ${JSON.stringify(tally.codes)}`);
    expect(tally.valid).toBeGreaterThan(0);
    expect(tally.invalid).toBeGreaterThan(0);
  });

  it.each([
    ['random-bytes', 'INVALID_MP3'], ['empty-bytes', 'INVALID_MP3'], ['missing-path', OPT], ['empty-planes', OPT], ['rate-12345', OPT],
    ['number', OPT],
  ])('audio %s alone → %s, and the output file is not created', async (kind, code) => {
    const file = tmpFile(`opts-audio-${kind}.mp4`);
    const err = await createMp4Writer({ width: 64, height: 64, fps: 30, output: file, audio: makeAudio(kind) as Mp4WriterOptions['audio'] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Mp4ForgeError);
    expect((err as Mp4ForgeError).code).toBe(code);
    expect(existsSync(file)).toBe(false);
  });

  it('regression: an audio edit never runs past the audio media, even with a 7 fps movie timescale', async () => {
    // Found by the property above: 3 frames at 7 fps (0.43 s) over a 0.4 s MP3. The elst segment
    // was rounded to whole 1/7 s movie ticks, 3 ticks = 18900 samples, past the 18479 there were.
    const w = await createMp4Writer({ width: 2, height: 2, fps: 7, output: { buffer: true }, audio: mp3Bytes });
    for (let i = 0; i < 3; i++) await w.addFrame(new Uint8Array(16));
    const r = await w.finish();
    assertValidIsoBmff(r.data as Uint8Array);
    // The audio plays all its real samples, to within a millisecond.
    const real = (await import('../src/audio/mp3-parser.js')).parseMp3(mp3Bytes).playableSamples / 44100;
    expect(r.audio?.durationSeconds).toBeCloseTo(real, 3);
    const file = tmpFile('opts-7fps-audio.mp4');
    writeFileSync(file, r.data as Uint8Array);
    const a = (await ffprobe(file)).streams.find((s) => s.codec_type === 'audio');
    expect(Number(a?.duration)).toBeLessThanOrEqual(real + 0.001);
    expect(Number(a?.duration)).toBeGreaterThan(real - 0.002);
  });
});
