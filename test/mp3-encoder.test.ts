// PCM → MP3 through lamejs, checked against ffmpeg/ffprobe: stream parameters, the encoder delay
// (against ffmpeg-libmp3lame's own LAME tag), click timing, exact length accounting, options.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Mp3Encoder } from '@breezystack/lamejs';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp.js';
import {
  encodePcmToMp3, LAMEJS_ENCODER_DELAY, MP3_DECODER_DELAY, MP3_SAMPLE_RATES, mp3BitratesFor, mp3UsableBitrates, PcmToMp3Encoder, floatToInt16,
  type Mp3EncodeOptions, type Mp3EncodeSummary,
} from '../src/audio/mp3-encoder.js';
import type { PcmPullSource, PcmSource } from '../src/audio/pcm-source.js';
import { isMp4ForgeError, type Mp4ForgeErrorCode } from '../src/errors.js';
import { audio } from '../src/generate/audio.js';
import { decodeAudioF32, FFMPEG, ffmpegDecodeCheck, ffprobe, run } from './helpers/oracles.js';
import { lcg } from './helpers/random.js';

const dir = tempDir('mp4forge-mp3-');
let fileNo = 0;
function tmp(ext: string): string {
  return join(dir, `f${fileNo++}.${ext}`);
}

async function encodeAll(source: PcmSource, opts?: Mp3EncodeOptions): Promise<{ bytes: Uint8Array; summary: Mp3EncodeSummary; chunks: number }> {
  const parts: Uint8Array[] = [];
  const it = encodePcmToMp3(source, opts);
  let r = await it.next();
  while (!r.done) {
    expect(r.value.length).toBeGreaterThan(0);
    parts.push(r.value);
    r = await it.next();
  }
  return { bytes: Buffer.concat(parts), summary: r.value, chunks: parts.length };
}

function channel(samples: Float32Array, channels: number, c: number): Float32Array {
  const out = new Float32Array(samples.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = samples[i * channels + c];
  return out;
}

function peakIndex(x: Float32Array): number {
  let best = 0;
  let at = -1;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > best) {
      best = a;
      at = i;
    }
  }
  return at;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: Mp4ForgeErrorCode, message?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(isMp4ForgeError(err, code), `expected Mp4ForgeError ${code}, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}

/** A pull source over planes that hands out irregular block sizes (1..frames, deterministic). */
function irregular(planes: Float32Array[], sampleRate: number): PcmPullSource {
  let pos = 0;
  const next = lcg(7);
  return {
    sampleRate,
    channels: planes.length as 1 | 2,
    pull(frames) {
      if (pos >= planes[0].length) return null;
      const n = Math.min(frames, 1 + (next() % 3000), planes[0].length - pos);
      const out = planes.map((p) => p.slice(pos, pos + n));
      pos += n;
      return out;
    },
  };
}

function drain(src: PcmPullSource): Float32Array[] {
  const parts: Float32Array[][] = [];
  let b: Float32Array[] | null;
  while ((b = src.pull(4096))) parts.push(b);
  return Array.from({ length: src.channels }, (_, c) => {
    const n = parts.reduce((a, p) => a + p[c].length, 0);
    const out = new Float32Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p[c], o);
      o += p[c].length;
    }
    return out;
  });
}

/** Mono float decode with decoder (input) options, e.g. `-flags2 +skip_manual` to ignore a LAME tag's trimming. */
async function decodeMonoRaw(file: string, inputArgs: string[]): Promise<Float32Array> {
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', ...inputArgs, '-i', file, '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
  if (r.code !== 0) throw new Error(r.stderr);
  return new Float32Array(new Uint8Array(r.stdout).buffer);
}

/** The LAME tag's encoder delay / padding fields, found after the Xing/Info header. */
function lameTag(bytes: Uint8Array): { delay: number; padding: number } {
  const b = Buffer.from(bytes);
  const info = Math.max(b.indexOf('Info'), b.indexOf('Xing'));
  if (info < 0) throw new Error('no Info/Xing header');
  const flags = b.readUInt32BE(info + 4);
  let o = info + 8;
  if (flags & 1) o += 4;
  if (flags & 2) o += 4;
  if (flags & 4) o += 100;
  if (flags & 8) o += 4;
  const k = o + 21; // 9-byte encoder string, revision/VBR, lowpass, peak(4), gains(2+2), flags, abr
  return { delay: (b[k] << 4) | (b[k + 1] >> 4), padding: ((b[k + 1] & 15) << 8) | b[k + 2] };
}

// click at 1.000 s in every supported MPEG version and both frame sizes
const clickCases = [
  { sampleRate: 44100, channels: 2, kbps: 128 },
  { sampleRate: 48000, channels: 2, kbps: 128 },
  { sampleRate: 22050, channels: 2, kbps: 64 }, // MPEG-2, 576-sample frames
  { sampleRate: 32000, channels: 1, kbps: 64 },
  { sampleRate: 8000, channels: 1, kbps: 24 }, // MPEG-2.5
] as const;

describe('lamejs timing: encoder delay and padding', () => {
  it.each(clickCases)('click at 1.000 s lands at 1.000 s after skipping delay + 529 ($sampleRate Hz, $channels ch)', async ({ sampleRate, channels, kbps }) => {
    const seconds = 2.3;
    const { bytes, summary } = await encodeAll(audio.clicks({ seconds, at: [1], sampleRate, channels }), { kbps });
    const file = tmp('mp3');
    writeFileSync(file, bytes);

    const probe = await ffprobe(file, { count: true });
    const a = probe.streams[0];
    expect(a.codec_name).toBe('mp3');
    expect(Number(a.sample_rate)).toBe(sampleRate);
    expect(a.channels).toBe(channels);
    expect(Number(a.nb_read_packets)).toBe(summary.frames);

    expect(summary.encoderDelay).toBe(576);
    expect(summary.sampleRate).toBe(sampleRate);
    expect(summary.channels).toBe(channels);
    expect(summary.samplesPerFrame).toBe(sampleRate >= 32000 ? 1152 : 576);
    expect(summary.inputSamples).toBe(Math.round(seconds * sampleRate));
    expect(summary.bytes).toBe(bytes.length);

    const dec = await decodeAudioF32(file);
    expect(dec.channels).toBe(channels);
    const decodedLength = dec.samples.length / channels;
    // ffmpeg trims nothing from an untagged MP3: it returns every frame, decoder delay included
    expect(decodedLength).toBe(summary.frames * summary.samplesPerFrame);
    const skip = summary.encoderDelay + MP3_DECODER_DELAY;
    // exact accounting: head skip + the input + the tail the edit list drops = what was decoded
    expect(summary.padding).toBeGreaterThanOrEqual(576);
    expect(decodedLength - skip - (summary.padding - MP3_DECODER_DELAY)).toBe(summary.inputSamples);

    for (let c = 0; c < channels; c++) {
      const x = channel(dec.samples, channels, c);
      const errSamples = peakIndex(x) - skip - sampleRate;
      const errMs = (errSamples / sampleRate) * 1000;
      console.log(`click ${sampleRate} Hz ch${c}: error ${errSamples} samples (${errMs.toFixed(3)} ms), padding ${summary.padding}, frames ${summary.frames}`);
      expect(Math.abs(errSamples)).toBeLessThanOrEqual(2);
      expect(Math.abs(errMs)).toBeLessThanOrEqual(1);
    }
  });

  it('encoderDelay matches the LAME-tag delay that ffmpeg-libmp3lame writes for the same input', async () => {
    for (const sampleRate of [44100, 22050]) {
      const src = drain(audio.clicks({ seconds: 2, at: [0.75], sampleRate, channels: 1 }));
      const ours = await encodeAll({ sampleRate, planes: src }, { kbps: 64 });
      const oursFile = tmp('mp3');
      writeFileSync(oursFile, ours.bytes);

      const refFile = tmp('mp3');
      const r = await run(
        FFMPEG,
        ['-hide_banner', '-v', 'error', '-y', '-f', 'f32le', '-ar', String(sampleRate), '-ac', '1', '-i', '-', '-c:a', 'libmp3lame', '-b:a', '64k', refFile],
        new Uint8Array(src[0].buffer),
      );
      expect(r.code, r.stderr).toBe(0);
      const tag = lameTag(readFileSync(refFile));
      expect(tag.delay).toBe(ours.summary.encoderDelay);

      // Both decoded untrimmed: the click sits at the same place, i.e. tag delay + 529 after its input index.
      const refRaw = await decodeMonoRaw(refFile, ['-flags2', '+skip_manual']);
      const oursRaw = channel((await decodeAudioF32(oursFile)).samples, 1, 0);
      const n = Math.round(0.75 * sampleRate);
      expect(Math.abs(peakIndex(refRaw) - (n + tag.delay + MP3_DECODER_DELAY))).toBeLessThanOrEqual(1);
      expect(Math.abs(peakIndex(oursRaw) - (n + ours.summary.encoderDelay + MP3_DECODER_DELAY))).toBeLessThanOrEqual(1);
      // and ffmpeg's gapless trimming of its own tagged file puts the click at n
      const refTrimmed = channel((await decodeAudioF32(refFile)).samples, 1, 0);
      expect(Math.abs(peakIndex(refTrimmed) - n)).toBeLessThanOrEqual(1);
    }
  });

  it('padding(total) is what the flush produced, for awkward lengths at both frame sizes', async () => {
    for (const sampleRate of [44100, 22050]) {
      const spf = sampleRate >= 32000 ? 1152 : 576;
      for (const total of [0, 1, 46, 47, 48, 575, 576, 577, 1151, 1152, 1153, 1727, 1728, 2304, 12345, 44100]) {
        const enc = await PcmToMp3Encoder.create(sampleRate, 1);
        const plane = new Float32Array(total);
        for (let i = 0; i < total; i++) plane[i] = 0.3 * Math.sin(i * 0.07);
        const bytes = Buffer.concat([enc.encode([plane]), enc.flush()]);
        const s = enc.summary();
        expect(s.inputSamples).toBe(total);
        expect(s.padding).toBe(enc.padding(total));
        expect(s.frames * spf).toBe(LAMEJS_ENCODER_DELAY + total + s.padding);
        expect(s.padding).toBeGreaterThanOrEqual(576);
        expect(s.padding).toBeLessThan(576 + spf);
        // ffmpeg's mp3 demuxer cannot open a one-frame file (the lone 44.1 kHz empty case); see the empty-source test
        if ((total === 0 && spf === 576) || total === 12345) {
          const file = tmp('mp3');
          writeFileSync(file, bytes);
          const probe = await ffprobe(file, { count: true });
          expect(Number(probe.streams[0].nb_read_packets)).toBe(s.frames);
        }
      }
    }
  });
});

describe('PCM → MP3 conversion', () => {
  it('whole-buffer, pull-source, irregular pulls and direct encode() give identical bytes', async () => {
    const sampleRate = 44100;
    const planes = drain(audio.melody({ seconds: 5, sampleRate }));
    const fromBuffer = await encodeAll({ sampleRate, planes });
    const fromGenerator = await encodeAll(audio.melody({ seconds: 5, sampleRate }));
    const fromIrregular = await encodeAll(irregular(planes, sampleRate));
    const enc = await PcmToMp3Encoder.create(sampleRate, 2);
    const direct: Uint8Array[] = [];
    for (let o = 0, k = 0; o < planes[0].length; o += 1000 + 777 * (k++ % 7)) {
      const e = Math.min(planes[0].length, o + 1000 + 777 * (k % 7));
      direct.push(enc.encode([planes[0].subarray(o, e), planes[1].subarray(o, e)]));
    }
    direct.push(enc.flush());
    expect(fromBuffer.bytes.length).toBeGreaterThan(50_000);
    expect(Buffer.compare(fromGenerator.bytes, fromBuffer.bytes)).toBe(0);
    expect(Buffer.compare(fromIrregular.bytes, fromBuffer.bytes)).toBe(0);
    expect(Buffer.compare(Buffer.concat(direct), fromBuffer.bytes)).toBe(0);
    expect(fromIrregular.summary).toEqual(fromBuffer.summary);
    expect(enc.summary()).toEqual(fromBuffer.summary);
  });

  it('float → int16 matches ffmpeg\'s own flt→s16 conversion, clips, and maps NaN to silence', async () => {
    const n = 50_000;
    const x = new Float32Array(n);
    const next = lcg(99);
    for (let i = 0; i < n; i++) {
      x[i] = (next() / 2 ** 32) * 2.4 - 1.2; // beyond ±1 too, to exercise clipping
    }
    x.set([0, 1, -1, 1 / 32768, -1 / 32768, 32767 / 32768, 0.3 / 32768, -0.7 / 32768, 1.7 / 32768], 0);
    const ours = new Int16Array(n);
    floatToInt16(x, 0, n, ours);
    const r = await run(
      FFMPEG,
      ['-hide_banner', '-v', 'error', '-f', 'f32le', '-ar', '44100', '-ac', '1', '-i', '-', '-f', 's16le', '-acodec', 'pcm_s16le', '-'],
      new Uint8Array(x.buffer),
    );
    expect(r.code, r.stderr).toBe(0);
    const theirs = new Int16Array(new Uint8Array(r.stdout).buffer);
    expect(theirs.length).toBe(n);
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (ours[i] !== theirs[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(Array.from(ours.subarray(0, 9))).toEqual([0, 32767, -32768, 1, -1, 32767, 0, -1, 2]);
    const nan = new Int16Array(2);
    floatToInt16(Float32Array.of(NaN, -NaN), 0, 2, nan);
    expect(Array.from(nan)).toEqual([0, 0]);

    const q = Int16Array.from({ length: 20_000 }, (_, i) => Math.round(20000 * Math.sin(i * 0.013) + 900 * Math.sin(i * 0.31)));
    const plane = (f: (v: number, i: number) => number): Float32Array => Float32Array.from(q, f);
    const enc = async (p: Float32Array): Promise<Buffer> => Buffer.from((await encodeAll({ sampleRate: 44100, planes: [p] })).bytes);
    // clipping: a 3× overdriven signal encodes exactly like the same signal clipped to [-1, 32767/32768]
    const loud = plane((v) => (3 * v) / 32768);
    const clipped = loud.map((x) => Math.max(-1, Math.min(32767 / 32768, x)));
    expect(Buffer.compare(await enc(loud), await enc(clipped))).toBe(0);
    const withNaN = plane((v, i) => (i % 3 === 0 ? NaN : v / 32768));
    const withZero = plane((v, i) => (i % 3 === 0 ? 0 : v / 32768));
    expect(Buffer.compare(await enc(withNaN), await enc(withZero))).toBe(0);
  });

  it('downmixes stereo to mono and duplicates mono to stereo', async () => {
    const sampleRate = 44100;
    const n = sampleRate;
    const l = new Float32Array(n);
    const r = new Float32Array(n);
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = Math.round(12000 * Math.sin(i * 0.031)) * 2;
      const b = Math.round(9000 * Math.sin(i * 0.0071)) * 2; // a + b even: the average is exact
      l[i] = a / 32768;
      r[i] = b / 32768;
      m[i] = (a + b) / 2 / 32768;
    }
    const down = await encodeAll({ sampleRate, planes: [l, r] }, { channels: 1 });
    const mono = await encodeAll({ sampleRate, planes: [m] });
    expect(down.summary.channels).toBe(1);
    expect(down.summary.kbps).toBe(64);
    expect(Buffer.compare(down.bytes, mono.bytes)).toBe(0);

    const up = await encodeAll({ sampleRate, planes: [m] }, { channels: 2 });
    const file = tmp('mp3');
    writeFileSync(file, up.bytes);
    const probe = await ffprobe(file);
    expect(probe.streams[0].channels).toBe(2);
    expect(up.summary.kbps).toBe(128);
    const dec = await decodeAudioF32(file);
    const dl = channel(dec.samples, 2, 0);
    const dr = channel(dec.samples, 2, 1);
    let diff = 0;
    let energy = 0;
    for (let i = 0; i < dl.length; i++) {
      diff = Math.max(diff, Math.abs(dl[i] - dr[i]));
      energy += dl[i] * dl[i];
    }
    expect(energy / dl.length).toBeGreaterThan(0.01);
    expect(diff).toBeLessThan(1e-3);
  });

  it('bitrate validation matches what lamejs really does, checked by ffprobe at both edges', async () => {
    const sr = (b: Uint8Array): number => {
      const rates: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };
      return rates[(b[1] >> 3) & 3][(b[2] >> 2) & 3];
    };
    let accepted = 0;
    for (const sampleRate of MP3_SAMPLE_RATES) {
      for (const ch of [1, 2] as const) {
        const usable = mp3UsableBitrates(sampleRate, ch);
        const all = mp3BitratesFor(sampleRate);
        expect(usable.length).toBeGreaterThan(0);
        for (const kbps of all) {
          const ok = usable.includes(kbps);
          if (!ok) {
            await expectCode(() => PcmToMp3Encoder.create(sampleRate, ch, { kbps }), 'INVALID_OPTION', /would resample/);
            continue;
          }
          accepted++;
          const enc = await PcmToMp3Encoder.create(sampleRate, ch, { kbps });
          const plane = Float32Array.from({ length: 2000 }, (_, i) => 0.2 * Math.sin(i * 0.1));
          const bytes = Buffer.concat([enc.encode(ch === 2 ? [plane, plane] : [plane]), enc.flush()]);
          expect(sr(bytes)).toBe(sampleRate);
        }
        // both sides of the boundary, by ffprobe: the lowest accepted bitrate keeps the rate,
        // the highest refused one really makes lamejs (called directly) resample
        const lowest = usable[0];
        const refused = all.filter((k) => k < lowest).at(-1);
        const enc = await PcmToMp3Encoder.create(sampleRate, ch, { kbps: lowest });
        // ≥ 12 frames: ffmpeg's mp3 probe does not trust a file of only a few frames
        const plane = new Float32Array(14000).map((_, i) => 0.2 * Math.sin(i * 0.05));
        const f1 = tmp('mp3');
        writeFileSync(f1, Buffer.concat([enc.encode(ch === 2 ? [plane, plane] : [plane]), enc.flush()]));
        const p1 = await ffprobe(f1);
        expect(Number(p1.streams[0].sample_rate)).toBe(sampleRate);
        expect(Number((p1.streams[0] as { bit_rate?: string }).bit_rate)).toBe(lowest * 1000);
        if (refused !== undefined) {
          const raw = new Mp3Encoder(ch, sampleRate, refused);
          const pcm = Int16Array.from(plane, (x) => x * 32767);
          const a = ch === 2 ? raw.encodeBuffer(pcm, pcm) : raw.encodeBuffer(pcm);
          const b = raw.flush();
          const f2 = tmp('mp3');
          writeFileSync(f2, Buffer.concat([new Uint8Array(a.buffer, a.byteOffset, a.length), new Uint8Array(b.buffer, b.byteOffset, b.length)]));
          const p2 = await ffprobe(f2);
          expect(Number(p2.streams[0].sample_rate)).toBeLessThan(sampleRate);
        }
      }
    }
    expect(accepted).toBeGreaterThan(150);
  });

  it('rejects bad options, sources and blocks with stable codes', async () => {
    const planes = [new Float32Array(100)];
    await expectCode(() => PcmToMp3Encoder.create(44000, 2), 'INVALID_OPTION', /44000 Hz is not supported; expected one of 8000/);
    await expectCode(() => PcmToMp3Encoder.create(96000, 2), 'INVALID_OPTION');
    await expectCode(() => PcmToMp3Encoder.create(44100, 3 as 2), 'INVALID_OPTION', /channels must be 1 or 2/);
    await expectCode(() => PcmToMp3Encoder.create(44100, 2, { kbps: 100 }), 'INVALID_OPTION', /100 kbps is not a Layer III bitrate at 44100 Hz/);
    await expectCode(() => PcmToMp3Encoder.create(44100, 2, { kbps: 144 }), 'INVALID_OPTION');
    await expectCode(() => PcmToMp3Encoder.create(22050, 2, { kbps: 320 }), 'INVALID_OPTION', /expected one of 8, 16/);
    await expectCode(() => PcmToMp3Encoder.create(44100, 2, { kbps: 96 }), 'INVALID_OPTION', /resample to 32000 Hz; use one of 112, 128/);
    await expectCode(() => PcmToMp3Encoder.create(44100, 2, { channels: 0 as 1 }), 'INVALID_OPTION');
    await expectCode(() => PcmToMp3Encoder.create(44100, 2, { kbps: '128' as unknown as number }), 'INVALID_OPTION');
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100, planes: [new Float32Array(10), new Float32Array(11)] }), 'INVALID_OPTION', /differ in length/);
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100, planes: [new Int16Array(10) as unknown as Float32Array] }), 'INVALID_OPTION');
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100, planes: [] }), 'INVALID_OPTION');
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100.5, planes }), 'INVALID_OPTION');
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100, planes }, { kbps: 8 }), 'INVALID_OPTION');

    const src = (pull: PcmPullSource['pull'], channels: 1 | 2 = 1): PcmPullSource => ({ sampleRate: 44100, channels, pull });
    await expectCode(encodeAll(src(() => [new Float32Array(10), new Float32Array(10)])), 'INVALID_FRAME', /1 Float32Array plane/);
    await expectCode(encodeAll(src(() => [new Float32Array(0)])), 'INVALID_FRAME', /null at the end/);
    await expectCode(encodeAll(src((f) => [new Float32Array(f + 1)])), 'INVALID_FRAME');
    await expectCode(encodeAll(src(() => [new Float32Array(4), new Float32Array(5)], 2)), 'INVALID_FRAME', /different lengths/);
    await expectCode(encodeAll(src(() => [new Float64Array(4) as unknown as Float32Array])), 'INVALID_FRAME');
    await expectCode(encodeAll(src(() => { throw new Error('boom'); })), 'USER_CALLBACK_FAILED', /boom/);
    await expectCode(() => encodePcmToMp3({ sampleRate: 44100, channels: 3 as 1, pull: () => null }), 'INVALID_OPTION');

    const enc = await PcmToMp3Encoder.create(44100, 2);
    await expectCode(() => enc.encode([new Float32Array(4)]), 'INVALID_FRAME');
    await expectCode(() => enc.encode([new Float32Array(4), new Float32Array(3)]), 'INVALID_FRAME');
    enc.flush();
    await expectCode(() => enc.encode([new Float32Array(4), new Float32Array(4)]), 'WRITER_CLOSED');
    await expectCode(() => enc.flush(), 'WRITER_CLOSED');
    await expectCode(() => enc.padding(-1), 'INVALID_OPTION');
  });

  it('an empty source gives a valid minimal stream', async () => {
    for (const sampleRate of [44100, 22050]) {
      const { bytes, summary } = await encodeAll({ sampleRate, planes: [new Float32Array(0)] });
      expect(summary.inputSamples).toBe(0);
      expect(summary.padding).toBe(576);
      expect(summary.frames).toBe(sampleRate === 44100 ? 1 : 2);
      // ffmpeg's mp3 demuxer refuses a file of exactly one frame (it probes for a second header),
      // so the one 1152-sample frame is checked as a two-frame stream of itself
      const file = tmp('mp3');
      writeFileSync(file, summary.frames === 1 ? Buffer.concat([bytes, bytes]) : bytes);
      const check = await ffmpegDecodeCheck(file);
      expect(check.ok, check.stderr).toBe(true);
      const dec = await decodeAudioF32(file);
      expect(dec.samples.length).toBe(2 * summary.samplesPerFrame);
      expect(dec.samples.every((v) => Math.abs(v) < 1e-3)).toBe(true);
    }
  });

  it('encodes 10 minutes of stereo audio in bounded memory', async () => {
    let gc: (() => void) | undefined;
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
    gc?.();
    const base = process.memoryUsage().heapUsed;
    let peakRetained = 0;
    let bytes = 0;
    let chunks = 0;
    const t0 = performance.now();
    const it = encodePcmToMp3(audio.chord({ frequencies: [220, 330, 440], seconds: 600, sampleRate: 44100, channels: 2 }));
    let r = await it.next();
    while (!r.done) {
      bytes += r.value.length;
      if (++chunks % 300 === 0) {
        gc?.();
        peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed - base);
      }
      r = await it.next();
    }
    const secs = (performance.now() - t0) / 1000;
    gc?.();
    const end = process.memoryUsage().heapUsed - base;
    console.log(
      `10 min stereo: ${(bytes / 1e6).toFixed(1)} MB MP3 in ${secs.toFixed(1)} s (${(600 / secs).toFixed(1)}× real time), heap growth peak ${(peakRetained / 1e6).toFixed(1)} MB, end ${(end / 1e6).toFixed(1)} MB (gc ${gc ? 'forced' : 'unavailable'})`,
    );
    expect(r.value.inputSamples).toBe(600 * 44100);
    expect(bytes).toBe(r.value.bytes);
    // 128 kbit/s CBR: 600 s ≈ 9.6 MB out; the float input alone would be 212 MB
    expect(Math.abs(bytes - 600 * 16000)).toBeLessThan(20_000);
    // With forced GC the retained heap is ~1–2 MB; 8 MB would still catch a kept copy of the
    // output (9.6 MB). Without GC, only the loose 30 MB bound is meaningful.
    const bound = gc ? 8e6 : 30e6;
    expect(peakRetained).toBeLessThan(bound);
    expect(end).toBeLessThan(bound);
  }, 300_000); // ~30 s on an idle 2-core machine; the guard only catches a hang, and a loaded machine took 186 s
});
