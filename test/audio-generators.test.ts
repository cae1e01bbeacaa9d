// Procedural audio sources: closed-form checks on the raw samples, then MP3-encoded and decoded by
// ffmpeg (frequency, timing, level, tempo, key), plus determinism and option validation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp.js';
import { encodePcmToMp3, MP3_DECODER_DELAY, type Mp3EncodeSummary } from '../src/audio/mp3-encoder.js';
import type { PcmPullSource } from '../src/audio/pcm-source.js';
import { isMp4ForgeError } from '../src/errors.js';
import { audio } from '../src/generate/audio.js';
import { decodeAudioF32, ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { lcg } from './helpers/random.js';

const dir = tempDir('mp4forge-gen-');
let fileNo = 0;

/** Pulls a source dry with a fixed or varying block size; returns one array per channel. */
function drain(src: PcmPullSource, block: number | (() => number) = 4096): Float32Array[] {
  const parts: Float32Array[][] = [];
  let b: Float32Array[] | null;
  while ((b = src.pull(typeof block === 'number' ? block : block()))) {
    expect(b.length).toBe(src.channels);
    parts.push(b.map((p) => p.slice()));
  }
  return Array.from({ length: src.channels }, (_, c) => {
    const out = new Float32Array(parts.reduce((a, p) => a + p[c].length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p[c], o);
      o += p[c].length;
    }
    return out;
  });
}

interface Decoded {
  summary: Mp3EncodeSummary;
  /** Per channel, already trimmed the way the MP4 edit list trims: exactly inputSamples long. */
  planes: Float32Array[];
}

/** Encodes to MP3, checks the file with ffprobe/ffmpeg, decodes and trims delay and padding. */
async function roundTrip(src: PcmPullSource): Promise<Decoded> {
  const parts: Uint8Array[] = [];
  const it = encodePcmToMp3(src);
  let r = await it.next();
  while (!r.done) {
    parts.push(r.value);
    r = await it.next();
  }
  const summary = r.value;
  const file = join(dir, `g${fileNo++}.mp3`);
  writeFileSync(file, Buffer.concat(parts));
  const check = await ffmpegDecodeCheck(file);
  expect(check.ok, check.stderr).toBe(true);
  const probe = await ffprobe(file);
  const a = probe.streams[0];
  expect(a.codec_type).toBe('audio');
  expect(a.codec_name).toBe('mp3');
  expect(Number(a.sample_rate)).toBe(src.sampleRate);
  expect(a.channels).toBe(src.channels);
  const dec = await decodeAudioF32(file);
  const ch = dec.channels;
  const total = dec.samples.length / ch;
  expect(total).toBe(summary.frames * summary.samplesPerFrame);
  const skip = summary.encoderDelay + MP3_DECODER_DELAY;
  expect(total - skip - (summary.padding - MP3_DECODER_DELAY)).toBe(summary.inputSamples);
  const planes = Array.from({ length: ch }, (_, c) => {
    const out = new Float32Array(summary.inputSamples);
    for (let i = 0; i < out.length; i++) out[i] = dec.samples[(i + skip) * ch + c];
    return out;
  });
  return { summary, planes };
}

/** Frequency from interpolated rising zero crossings over [from, to). */
function zeroCrossingHz(x: Float32Array, sampleRate: number, from: number, to: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const t = i - 1 + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return (count * sampleRate) / (last - first);
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

function goertzelPower(x: Float32Array, f: number, sampleRate: number, from = 0, to = x.length): number {
  const c = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((to - from) * (to - from));
}

const db = (ratio: number): number => 10 * Math.log10(ratio);

function expectInvalid(fn: () => unknown, message?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isMp4ForgeError(err, 'INVALID_OPTION'), `expected INVALID_OPTION, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('audio.tone', () => {
  it.each([
    { frequency: 440, sampleRate: 44100, channels: 2 as const },
    { frequency: 1000, sampleRate: 48000, channels: 1 as const },
    { frequency: 3000, sampleRate: 22050, channels: 1 as const },
    { frequency: 1234.5, sampleRate: 8000, channels: 1 as const },
  ])('$frequency Hz at $sampleRate Hz: exact samples, and ffmpeg hears the same pitch and level', async ({ frequency, sampleRate, channels }) => {
    const amplitude = 0.5;
    const seconds = 1.5;
    const raw = drain(audio.tone({ frequency, seconds, sampleRate, channels, amplitude }), 1000);
    const n = Math.round(seconds * sampleRate);
    expect(raw[0].length).toBe(n);
    const fade = Math.round(0.005 * sampleRate);
    let maxErr = 0;
    for (let i = fade; i < n - fade; i++) maxErr = Math.max(maxErr, Math.abs(raw[0][i] - amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate)));
    expect(maxErr).toBeLessThan(1e-6);
    expect(Math.abs(raw[0][0])).toBeLessThan(0.01); // faded in
    expect(Math.abs(raw[0][n - 1])).toBeLessThan(0.01); // faded out
    if (channels === 2) expect(raw[1]).toEqual(raw[0]);

    const { planes } = await roundTrip(audio.tone({ frequency, seconds, sampleRate, channels, amplitude }));
    for (const p of planes) {
      const hz = zeroCrossingHz(p, sampleRate, Math.round(0.1 * sampleRate), Math.round(1.4 * sampleRate));
      expect(Math.abs(hz - frequency)).toBeLessThan(0.05);
      const level = rms(p, Math.round(0.1 * sampleRate), Math.round(1.4 * sampleRate));
      expect(Math.abs(db(level / (amplitude / Math.SQRT2)))).toBeLessThan(0.5);
    }
  });
});

describe('audio.chord', () => {
  it('carries each partial at equal level and nothing between them', async () => {
    const sampleRate = 48000;
    const frequencies = [261.63, 329.63, 392.0];
    const raw = drain(audio.chord({ frequencies, seconds: 1, sampleRate, channels: 1, amplitude: 0.6 }));
    let maxErr = 0;
    for (let i = 240; i < 47760; i++) {
      const want = frequencies.reduce((a, f) => a + (0.6 / 3) * Math.sin((2 * Math.PI * f * i) / sampleRate), 0);
      maxErr = Math.max(maxErr, Math.abs(raw[0][i] - want));
    }
    expect(maxErr).toBeLessThan(1e-6);

    const { planes } = await roundTrip(audio.chord({ frequencies, seconds: 2, sampleRate, channels: 2, amplitude: 0.6 }));
    const from = 4800;
    const to = 4800 + 86400;
    for (const p of planes) {
      const on = frequencies.map((f) => goertzelPower(p, f, sampleRate, from, to));
      const off = [200, 300, 360, 450].map((f) => goertzelPower(p, f, sampleRate, from, to));
      for (const v of on) expect(Math.abs(db(v / on[0]))).toBeLessThan(0.5);
      expect(db(Math.min(...on) / Math.max(...off))).toBeGreaterThan(40);
    }
  });
});

describe('audio.noiseBurst', () => {
  it('is silent between bursts, deterministic per seed, and its onsets survive MP3 to within 1 ms', async () => {
    const sampleRate = 22050;
    const opts = { seconds: 3.5, sampleRate, channels: 2 as const, burstSeconds: 0.08, intervalSeconds: 0.75, amplitude: 0.6, seed: 42 };
    const raw = drain(audio.noiseBurst(opts), 999);
    const len = Math.round(0.08 * sampleRate);
    const starts = [0, 1, 2, 3, 4].map((k) => Math.round(k * 0.75 * sampleRate));
    for (let i = 0; i < raw[0].length; i++) {
      const inBurst = starts.some((s) => i >= s && i < s + len);
      if (!inBurst) expect(raw[0][i]).toBe(0);
    }
    for (const s of starts) {
      // uniform noise: RMS = amplitude / √3 away from the 1 ms edge fades
      expect(Math.abs(rms(raw[0], s + 30, s + len - 30) / (0.6 / Math.sqrt(3)) - 1)).toBeLessThan(0.08);
      expect(Math.max(...raw[0].subarray(s, s + len).map(Math.abs))).toBeLessThanOrEqual(0.6);
    }
    expect(raw[1]).toEqual(raw[0]);
    expect(drain(audio.noiseBurst(opts), 12345)[0]).toEqual(raw[0]);
    const other = drain(audio.noiseBurst({ ...opts, seed: 43 }))[0];
    expect(other.length).toBe(raw[0].length);
    expect(other.some((v, i) => v !== raw[0][i])).toBe(true);

    const { planes } = await roundTrip(audio.noiseBurst(opts));
    const x = planes[0];
    for (const s of starts) {
      const inside = rms(x, s + 30, s + len - 30);
      const gapFrom = s + len + Math.round(0.02 * sampleRate);
      const outside = rms(x, gapFrom, Math.min(x.length, gapFrom + Math.round(0.5 * sampleRate)));
      expect(db((inside * inside) / (outside * outside + 1e-20))).toBeGreaterThan(30);
      // onset: where a 1 ms RMS window first reaches half the burst level (MP3 pre-echo smears a
      // little noise ahead of the attack, so a low threshold would fire early)
      const win = Math.round(0.001 * sampleRate);
      let onset = Math.max(0, s - Math.round(0.03 * sampleRate));
      while (rms(x, onset, onset + win) < 0.5 * inside) onset++;
      expect(Math.abs(onset + win / 2 - s) / sampleRate).toBeLessThan(0.001);
      // alignment: the decoded burst correlates best with the generated one at lag 0
      let bestLag = 0;
      let best = -Infinity;
      for (let lag = -40; lag <= 40; lag++) {
        let c = 0;
        for (let i = s + 30; i < s + len - 30; i++) c += x[i + lag] * raw[0][i];
        if (c > best) {
          best = c;
          bestLag = lag;
        }
      }
      expect(bestLag).toBe(0);
    }
  });
});

describe('audio.noiseBurst, bursts longer than the interval', () => {
  it('each burst ends where the next starts, faded over 1 ms like every burst edge', () => {
    const sampleRate = 8000; // 1 ms = 8 samples
    const amplitude = 0.8;
    // 30 ms bursts every 20 ms (160 samples): burst k is cut at 160·(k + 1), where burst k + 1 starts.
    const x = drain(audio.noiseBurst({ seconds: 1, sampleRate, channels: 1, burstSeconds: 0.03, intervalSeconds: 0.02, amplitude, seed: 7 }), 333)[0];
    // The raised-cosine fades leave at most 0.5 − 0.5·cos(π·0.5/8) ≈ 0.0096 of the amplitude in an edge sample.
    const edge = amplitude * (0.5 - 0.5 * Math.cos(Math.PI / 16)) + 1e-7;
    let inside = 0;
    let edges = 0;
    for (let k = 1; k < 50; k++) {
      const cut = 160 * k;
      edges = Math.max(edges, Math.abs(x[cut - 1]), Math.abs(x[cut])); // the last sample of burst k − 1, the first of burst k
      inside = Math.max(inside, ...Array.from(x.subarray(cut - 80, cut - 8), Math.abs));
    }
    expect(edges).toBeLessThanOrEqual(edge);
    expect(inside).toBeGreaterThan(0.5 * amplitude); // the bursts' middles are full-level noise
  });
});

describe('audio.clicks', () => {
  it('puts one sample at round(t·rate) and ffmpeg finds every click within 2 samples', async () => {
    const sampleRate = 44100;
    const at = [2.9, 0.1, 0.5, 1.0, 1.2345];
    const raw = drain(audio.clicks({ seconds: 3, at, sampleRate, channels: 2 }), 700);
    const idx = new Set(at.map((t) => Math.round(t * sampleRate)));
    for (let i = 0; i < raw[0].length; i++) {
      expect(raw[0][i]).toBe(idx.has(i) ? Math.fround(0.9) : 0);
      expect(raw[1][i]).toBe(raw[0][i]);
    }
    const { planes } = await roundTrip(audio.clicks({ seconds: 3, at, sampleRate, channels: 2 }));
    const w = Math.round(0.01 * sampleRate);
    for (const p of planes) {
      for (const t of at) {
        const n = Math.round(t * sampleRate);
        let best = -1;
        let peak = 0;
        for (let i = n - w; i <= n + w; i++) {
          if (Math.abs(p[i]) > peak) {
            peak = Math.abs(p[i]);
            best = i;
          }
        }
        expect(peak).toBeGreaterThan(0.1);
        expect(Math.abs(best - n)).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('audio.melody', () => {
  /** Beat period from the autocorrelation of a log-energy onset curve, searched within ±25 %. */
  function beatPeriod(x: Float32Array, sampleRate: number, expected: number): number {
    const hop = 256;
    const e: number[] = [];
    for (let i = 0; i + hop <= x.length; i += hop) e.push(Math.log(1e-9 + rms(x, i, i + hop)));
    const onset = e.map((v, k) => (k ? Math.max(0, v - e[k - 1]) : 0));
    const mean = onset.reduce((a, b) => a + b, 0) / onset.length;
    const o = onset.map((v) => v - mean);
    let best = -Infinity;
    let lag = 0;
    for (let L = Math.floor((0.75 * expected * sampleRate) / hop); L <= Math.ceil((1.25 * expected * sampleRate) / hop); L++) {
      let s = 0;
      for (let k = 0; k + L < o.length; k++) s += o[k] * o[k + L];
      s /= o.length - L;
      if (s > best) {
        best = s;
        lag = L;
      }
    }
    return (lag * hop) / sampleRate;
  }

  it('is deterministic whatever the pull sizes, in range, and stereo', () => {
    const a = drain(audio.melody({ seconds: 8 }), 4096);
    const next = lcg(5);
    const b = drain(audio.melody({ seconds: 8 }), () => 1 + (next() % 5000));
    expect(a[0].length).toBe(8 * 44100);
    expect(b[0]).toEqual(a[0]);
    expect(b[1]).toEqual(a[1]);
    for (const p of a) {
      expect(p.every((v) => v >= -1 && v <= 1)).toBe(true);
      expect(rms(p)).toBeGreaterThan(0.05);
      expect(rms(p)).toBeLessThan(0.35);
    }
    expect(Math.abs(a[0][0])).toBeLessThan(0.01);
    expect(Math.abs(a[0][a[0].length - 1])).toBeLessThan(0.01);
    let diff = 0;
    for (let i = 0; i < a[0].length; i++) diff += Math.abs(a[0][i] - a[1][i]);
    expect(diff / a[0].length).toBeGreaterThan(0.005); // panned: the channels differ
    const mono = drain(audio.melody({ seconds: 8, channels: 1 }));
    expect(mono.length).toBe(1);
    expect(Math.abs(db(rms(mono[0]) / rms(a[0])))).toBeLessThan(3);
  });

  it('fades out over its last 1.5 s, at most a quarter of its length; before that it is the longer tune sample for sample', () => {
    const sampleRate = 16000;
    const ref = drain(audio.melody({ seconds: 12, sampleRate }))[0]; // unfaded up to 10.5 s
    // 5 s: a quarter (1.25 s) fades; 8 s: 1.5 s fades.
    for (const [seconds, fade] of [[5, 1.25], [8, 1.5]]) {
      const x = drain(audio.melody({ seconds, sampleRate }))[0];
      const from = (seconds - fade) * sampleRate;
      expect(x.subarray(0, from)).toEqual(ref.subarray(0, from));
      // From 10 ms into the fade on, every audible sample is quieter than the unfaded tune.
      let audible = 0;
      let louder = 0;
      for (let k = from + Math.round(0.01 * sampleRate); k < x.length; k++) {
        if (Math.abs(ref[k]) < 0.01) continue;
        audible++;
        if (Math.abs(x[k]) >= Math.abs(ref[k])) louder++;
      }
      expect(audible, `${seconds} s`).toBeGreaterThan(0.5 * fade * sampleRate);
      expect(louder, `${seconds} s`).toBe(0);
    }
  });

  it('compresses the mix above 0.75 (the soft knee) and never makes it louder, read through the fade', () => {
    // In the fade-out of a 5 s tune the mix is scaled by about a half, below the knee; the same
    // samples of a longer tune (unfaded until 5 s) went through the knee. The fade's gain at a loud
    // sample is read from the nearest quiet samples on each side, so the mix before the knee is
    // recovered without knowing the fade's shape.
    const faded = drain(audio.melody({ seconds: 5 }))[0];
    const full = drain(audio.melody({ seconds: 6.5 }))[0];
    const quiet = (j: number) => Math.abs(full[j]) > 0.1 && Math.abs(full[j]) < 0.7;
    let knees = 0;
    let louder = 0;
    let squeeze = 0;
    for (let k = 3.9 * 44100; k < 4.9 * 44100; k++) {
      if (Math.abs(full[k]) <= 0.75) continue;
      let a = k - 1;
      let b = k + 1;
      while (!quiet(a)) a--;
      while (!quiet(b)) b++;
      const gain = faded[a] / full[a] + ((faded[b] / full[b] - faded[a] / full[a]) * (k - a)) / (b - a);
      const mix = Math.abs(faded[k] / gain);
      knees++;
      if (Math.abs(full[k]) > mix + 1e-4) louder++;
      squeeze = Math.max(squeeze, mix - Math.abs(full[k]));
    }
    expect(knees).toBeGreaterThan(10);
    expect(louder).toBe(0);
    expect(squeeze).toBeGreaterThan(0.005);
  });

  it('in mono is the mean of the stereo channels', () => {
    const [l, r] = drain(audio.melody({ seconds: 6, sampleRate: 16000 }));
    const [m] = drain(audio.melody({ seconds: 6, sampleRate: 16000, channels: 1 }));
    let compared = 0;
    let apart = 0;
    let err = 0;
    for (let k = 0; k < m.length; k++) {
      if (Math.abs(l[k]) > 0.7 || Math.abs(r[k]) > 0.7) continue; // below the soft knee the mix is linear
      compared++;
      err = Math.max(err, Math.abs(m[k] - 0.5 * (l[k] + r[k])));
      apart = Math.max(apart, Math.abs(l[k] - r[k]));
    }
    expect(compared).toBeGreaterThan(0.99 * m.length);
    expect(err).toBeLessThan(1e-6);
    expect(apart).toBeGreaterThan(0.05); // the channels differ, so a mono that took one of them would fail
  });

  it.each([110, 150])('at %i bpm: decodes cleanly, keeps the tempo and stays in key after MP3', async (bpm) => {
    const sampleRate = 44100;
    const { planes } = await roundTrip(audio.melody({ seconds: 12, bpm, sampleRate }));
    const x = planes[0].map((v, i) => 0.5 * (v + planes[1][i]));
    expect(rms(x)).toBeGreaterThan(0.05);
    const beat = 60 / bpm;
    expect(Math.abs(beatPeriod(x, sampleRate, beat) / beat - 1)).toBeLessThan(0.01);
    // pitch classes A2..F#6: nearly all energy on the white keys (A minor / C major)
    const chroma = new Array<number>(12).fill(0);
    for (let m = 45; m <= 90; m++) chroma[m % 12] += goertzelPower(x, 440 * 2 ** ((m - 69) / 12), sampleRate);
    const total = chroma.reduce((a, b) => a + b, 0);
    const white = [0, 2, 4, 5, 7, 9, 11].reduce((a, k) => a + chroma[k], 0);
    expect(white / total).toBeGreaterThan(0.9);
  });
});

describe('option validation', () => {
  it('rejects bad options with INVALID_OPTION and clear messages', () => {
    expectInvalid(() => audio.tone({ frequency: 0, seconds: 1 }), /frequency must be in \(0, 22050\)/);
    expectInvalid(() => audio.tone({ frequency: 22050, seconds: 1 }));
    expectInvalid(() => audio.tone({ frequency: NaN, seconds: 1 }), /finite number/);
    expectInvalid(() => audio.tone({ frequency: 440, seconds: -1 }), /seconds/);
    expectInvalid(() => audio.tone({ frequency: 440, seconds: Infinity }));
    expectInvalid(() => audio.tone({ frequency: 440, seconds: 1, sampleRate: 44100.5 }), /integer/);
    expectInvalid(() => audio.tone({ frequency: 440, seconds: 1, sampleRate: 500 }));
    expectInvalid(() => audio.tone({ frequency: 440, seconds: 1, channels: 3 as 2 }), /channels must be 1 or 2/);
    expectInvalid(() => audio.tone({ frequency: 440, seconds: 1, amplitude: 1.5 }), /amplitude/);
    expectInvalid(() => audio.tone(undefined as unknown as { frequency: number; seconds: number }));
    expectInvalid(() => audio.chord({ frequencies: [], seconds: 1 }), /frequencies/);
    expectInvalid(() => audio.chord({ frequencies: [440, -3], seconds: 1 }));
    expectInvalid(() => audio.noiseBurst({ seconds: 1, burstSeconds: 0 }), /burstSeconds/);
    expectInvalid(() => audio.noiseBurst({ seconds: 1, intervalSeconds: -1 }), /intervalSeconds/);
    expectInvalid(() => audio.noiseBurst({ seconds: 1, seed: 1.5 }), /seed/);
    expectInvalid(() => audio.clicks({ seconds: 1, at: [-0.1] }), /at\[\]/);
    expectInvalid(() => audio.clicks({ seconds: 1, at: [1] }));
    expectInvalid(() => audio.clicks({ seconds: 1, at: [0.99999999] }), /past the end/);
    expectInvalid(() => audio.clicks({ seconds: 1, at: 0.5 as unknown as number[] }));
    expectInvalid(() => audio.melody({ bpm: 10 }), /bpm/);
    expectInvalid(() => audio.melody({ seconds: -2 }));
    expectInvalid(() => audio.tone({ frequency: 440, seconds: 1 }).pull(0), /positive integer/);
    // and the boundaries that are fine
    expect(drain(audio.tone({ frequency: 440, seconds: 0 }))[0].length).toBe(0);
    expect(audio.tone({ frequency: 440, seconds: 0 }).pull(10)).toBeNull();
    expect(drain(audio.clicks({ seconds: 1, at: [0], sampleRate: 8000, channels: 1 }))[0][0]).toBeCloseTo(0.9, 6);
  });
});
