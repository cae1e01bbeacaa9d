// Procedural audio: deterministic PCM pull sources for tests and demos. Every sample depends only on
// the options and its index, never on how the caller slices its pulls: oscillators are phase
// accumulators carried across pulls and noise is a hash of (seed, sample index).
import { Mp4ForgeError } from '../errors.js';
import type { PcmPullSource } from '../audio/pcm-source.js';
import { optionsObject, show } from '../validate.js';

/** Options shared by every generator. */
export interface AudioCommonOptions {
  /** Samples per second, integer 1000..384000. Default 44100. */
  sampleRate?: number;
  /** 1 (mono) or 2 (stereo, both channels equal unless stated). Default 2. */
  channels?: 1 | 2;
}

/** Options for {@link audio}.tone. */
export interface ToneOptions extends AudioCommonOptions {
  /** Hz, above 0 and below sampleRate / 2. */
  frequency: number;
  /** Length in seconds (rounded to whole samples). */
  seconds: number;
  /** Peak amplitude, 0..1. Default 0.5. */
  amplitude?: number;
}

/** Options for {@link audio}.chord. */
export interface ChordOptions extends AudioCommonOptions {
  /** One or more frequencies in Hz, each above 0 and below sampleRate / 2. */
  frequencies: number[];
  seconds: number;
  /** Peak amplitude of the sum, 0..1 (each partial gets amplitude / count). Default 0.5. */
  amplitude?: number;
}

/** Options for {@link audio}.noiseBurst. */
export interface NoiseBurstOptions extends AudioCommonOptions {
  seconds: number;
  /** Length of each burst. Default 0.1 s. */
  burstSeconds?: number;
  /** A burst starts at every multiple of this (0, 1 s, 2 s, …). Default 1 s. */
  intervalSeconds?: number;
  /** Peak amplitude of the white noise, 0..1. Default 0.5. */
  amplitude?: number;
  /** Integer seed for the noise. Default 1. */
  seed?: number;
}

/** Options for {@link audio}.clicks. */
export interface ClicksOptions extends AudioCommonOptions {
  seconds: number;
  /** Click times in seconds, each in [0, seconds); a click is one sample at round(t · sampleRate). */
  at: number[];
  /** Click value, 0..1. Default 0.9. */
  amplitude?: number;
}

/** Options for {@link audio}.melody. */
export interface MelodyOptions extends AudioCommonOptions {
  /** Length in seconds; the 8-bar tune loops to fill it and fades out at the end. Default 20. */
  seconds?: number;
  /** Tempo, 40..240. Default 110. */
  bpm?: number;
}

// ---------------------------------------------------------------------------------- validation

function bad(msg: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', msg);
}

function checkNumber(
  what: string,
  v: unknown,
  min: number,
  max: number,
  opts: { integer?: boolean; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  const range = `${opts.minExclusive ? '(' : '['}${min}, ${max}${opts.maxExclusive ? ')' : ']'}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${what} must be a finite number in ${range}, got ${show(v)}`);
  if (opts.integer && !Number.isInteger(v)) throw bad(`${what} must be an integer, got ${v}`);
  if (v < min || v > max || (opts.minExclusive && v === min) || (opts.maxExclusive && v === max)) throw bad(`${what} must be in ${range}, got ${v}`);
  return v;
}

/** What each generator takes: a misspelt key is refused with a did-you-mean, like every option. */
const KEYS = {
  tone: ['frequency', 'seconds', 'amplitude'],
  chord: ['frequencies', 'seconds', 'amplitude'],
  noiseBurst: ['seconds', 'burstSeconds', 'intervalSeconds', 'amplitude', 'seed'],
  clicks: ['seconds', 'at', 'amplitude'],
  melody: ['seconds', 'bpm'],
} as const;

function common(fn: keyof typeof KEYS, o: AudioCommonOptions | undefined): { sampleRate: number; channels: 1 | 2 } {
  if (o === null || typeof o !== 'object') throw bad(`audio.${fn}: options must be an object`);
  optionsObject(o, `audio.${fn}`, ['sampleRate', 'channels', ...KEYS[fn]]);
  const sampleRate = checkNumber(`audio.${fn}: sampleRate`, o.sampleRate ?? 44100, 1000, 384000, { integer: true });
  const channels = o.channels ?? 2;
  if (channels !== 1 && channels !== 2) throw bad(`audio.${fn}: channels must be 1 or 2, got ${show(channels)}`);
  return { sampleRate, channels };
}

function checkSeconds(fn: keyof typeof KEYS, v: unknown): number {
  return checkNumber(`audio.${fn}: seconds`, v, 0, 24 * 3600);
}

function checkFrequency(fn: string, f: unknown, sampleRate: number): number {
  return checkNumber(`audio.${fn}: frequency`, f, 0, sampleRate / 2, { minExclusive: true, maxExclusive: true });
}

// --------------------------------------------------------------------------------- base source

abstract class SynthSource implements PcmPullSource {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Length in sample frames. */
  readonly totalSamples: number;
  protected pos = 0;

  constructor(sampleRate: number, channels: 1 | 2, seconds: number) {
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.totalSamples = Math.round(seconds * sampleRate);
  }

  pull(frames: number): Float32Array[] | null {
    if (!Number.isInteger(frames) || frames <= 0) throw bad(`pull(frames) needs a positive integer, got ${show(frames)}`);
    const n = Math.min(frames, this.totalSamples - this.pos);
    if (n <= 0) return null;
    const left = new Float32Array(n);
    const right = this.channels === 2 ? new Float32Array(n) : undefined;
    this.render(left, right, n);
    this.pos += n;
    return right ? [left, right] : [left];
  }

  /** Writes samples pos .. pos+n−1 into left (and right when stereo); arrays start zeroed. */
  protected abstract render(left: Float32Array, right: Float32Array | undefined, n: number): void;
}

/** Raised-cosine fade in over the first `fade` samples and out over the last `fade` of `total`. */
function applyEdgeFade(buf: Float32Array, start: number, n: number, total: number, fade: number): void {
  if (fade <= 0) return;
  const end = start + n;
  for (let a = start; a < Math.min(end, fade); a++) buf[a - start] *= 0.5 - 0.5 * Math.cos((Math.PI * (a + 0.5)) / fade);
  for (let a = Math.max(start, total - fade); a < end; a++) buf[a - start] *= 0.5 - 0.5 * Math.cos((Math.PI * (total - a - 0.5)) / fade);
}

/** Uniform noise in [-1, 1) from (seed, index): a 32-bit integer hash (lowbias32), no state. */
function noiseAt(seedHash: number, index: number): number {
  let x = (index + Math.imul(seedHash, 0x9e3779b9)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 2147483648 - 1;
}

function hashSeed(seed: number): number {
  let x = seed | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return x ^ (x >>> 15);
}

const TWO_PI = 2 * Math.PI;

// ------------------------------------------------------------------------------- tone and chord

class PartialsSource extends SynthSource {
  private readonly inc: Float64Array;
  private readonly phase: Float64Array;
  private readonly gain: number;
  private readonly fade: number;

  constructor(sampleRate: number, channels: 1 | 2, seconds: number, frequencies: number[], amplitude: number) {
    super(sampleRate, channels, seconds);
    this.inc = Float64Array.from(frequencies, (f) => f / sampleRate);
    this.phase = new Float64Array(frequencies.length);
    this.gain = amplitude / frequencies.length;
    // 5 ms keeps the start and end from clicking without smearing short test tones
    this.fade = Math.min(Math.round(0.005 * sampleRate), this.totalSamples >> 2);
  }

  protected render(left: Float32Array, right: Float32Array | undefined, n: number): void {
    const { inc, phase, gain } = this;
    for (let k = 0; k < inc.length; k++) {
      let p = phase[k];
      const d = inc[k];
      for (let i = 0; i < n; i++) {
        left[i] += gain * Math.sin(TWO_PI * p);
        p += d;
        if (p >= 1) p -= 1;
      }
      phase[k] = p;
    }
    applyEdgeFade(left, this.pos, n, this.totalSamples, this.fade);
    right?.set(left);
  }
}

// ---------------------------------------------------------------------------------- noise bursts

class NoiseBurstSource extends SynthSource {
  constructor(
    sampleRate: number,
    channels: 1 | 2,
    seconds: number,
    private readonly burst: number,
    private readonly interval: number,
    private readonly amplitude: number,
    private readonly seedHash: number,
  ) {
    super(sampleRate, channels, seconds);
  }

  /** Start sample of burst k. */
  private burstStart(k: number): number {
    return Math.round(k * this.interval * this.sampleRate);
  }

  protected render(left: Float32Array, right: Float32Array | undefined, n: number): void {
    const sr = this.sampleRate;
    const len = Math.round(this.burst * sr);
    const fade = Math.min(Math.round(0.001 * sr), len >> 2);
    const start = this.pos;
    const end = start + n;
    // first burst that can overlap [start, end)
    let k = Math.max(0, Math.floor((start - len) / (this.interval * sr)));
    for (;; k++) {
      const b0 = this.burstStart(k);
      if (b0 >= end) break;
      const b1 = Math.min(b0 + len, this.burstStart(k + 1), this.totalSamples);
      for (let a = Math.max(b0, start); a < Math.min(b1, end); a++) {
        const t = a - b0;
        const g = t < fade ? 0.5 - 0.5 * Math.cos((Math.PI * (t + 0.5)) / fade) : b1 - a <= fade ? 0.5 - 0.5 * Math.cos((Math.PI * (b1 - a - 0.5)) / fade) : 1;
        left[a - start] = this.amplitude * g * noiseAt(this.seedHash, a);
      }
    }
    right?.set(left);
  }
}

// --------------------------------------------------------------------------------------- clicks

class ClickSource extends SynthSource {
  private next = 0;

  constructor(sampleRate: number, channels: 1 | 2, seconds: number, private readonly at: Float64Array, private readonly amplitude: number) {
    super(sampleRate, channels, seconds);
  }

  protected render(left: Float32Array, right: Float32Array | undefined, n: number): void {
    const end = this.pos + n;
    while (this.next < this.at.length && this.at[this.next] < end) {
      const idx = this.at[this.next++];
      left[idx - this.pos] = this.amplitude;
      if (right) right[idx - this.pos] = this.amplitude;
    }
  }
}

// --------------------------------------------------------------------------------------- melody

const enum Kind {
  Free = 0,
  Lead,
  Bass,
  Pad,
  Kick,
  Snare,
  Hat,
}

const MAX_VOICES = 32;
const STEPS_PER_BAR = 16; // sixteenth notes
const BARS = 8;
const LOOP_STEPS = STEPS_PER_BAR * BARS;

// A minor: Am – F – C – G, twice; the lead differs on the second pass. MIDI notes per eighth,
// 0 = rest, -1 = hold the previous note.
const CHORD_ROOTS = [45, 41, 48, 43]; // A2 F2 C3 G2
const PAD_CHORDS = [
  [57, 60, 64], // A3 C4 E4
  [57, 60, 65], // A3 C4 F4
  [55, 60, 64], // G3 C4 E4
  [55, 59, 62], // G3 B3 D4
];
const LEAD = [
  76, -1, 81, 79, 76, 0, 74, 76, 72, -1, 77, 76, 72, 0, 69, 72, 79, -1, 76, 72, 74, 76, 79, -1, 74, -1, 71, 74, 79, -1, 76, 74,
  81, -1, 79, 76, 79, -1, 81, 84, 81, -1, 77, 76, 77, -1, 72, -1, 76, 79, 84, -1, 83, 79, 76, -1, 74, 76, 79, -1, 71, -1, 74, -1,
];
// offsets from the root per eighth; null = rest
const BASS = [0, null, 12, 0, null, 7, 12, 7];

interface Trigger {
  kind: Kind;
  midi: number;
  steps: number; // gate length in sixteenths (drums: unused)
  velocity: number;
}

function buildPattern(): Trigger[][] {
  const steps: Trigger[][] = Array.from({ length: LOOP_STEPS }, () => []);
  for (let bar = 0; bar < BARS; bar++) {
    const chord = bar % 4;
    const s0 = bar * STEPS_PER_BAR;
    // pad: the whole bar, a little overlap comes from the release
    for (const m of PAD_CHORDS[chord]) steps[s0].push({ kind: Kind.Pad, midi: m, steps: 16, velocity: 1 });
    for (let e = 0; e < 8; e++) {
      const off = BASS[e];
      if (off !== null) steps[s0 + 2 * e].push({ kind: Kind.Bass, midi: CHORD_ROOTS[chord] + off, steps: 1.6, velocity: e === 0 ? 1 : 0.8 });
      const idx = bar * 8 + e;
      const note = LEAD[idx];
      if (note > 0) {
        let len = 1;
        while (idx + len < LEAD.length && LEAD[idx + len] === -1) len++;
        steps[s0 + 2 * e].push({ kind: Kind.Lead, midi: note, steps: 2 * len - 0.3, velocity: e % 2 === 0 ? 1 : 0.85 });
      }
    }
    for (let s = 0; s < 16; s++) {
      const st = steps[s0 + s];
      if (s === 0 || s === 8 || (s === 10 && bar % 2 === 1) || (s === 14 && bar === BARS - 1)) st.push({ kind: Kind.Kick, midi: 0, steps: 0, velocity: 1 });
      if (s === 4 || s === 12) st.push({ kind: Kind.Snare, midi: 0, steps: 0, velocity: 1 });
      if (s % 2 === 0) st.push({ kind: Kind.Hat, midi: 0, steps: 0, velocity: s % 4 === 0 ? 1 : 0.55 });
      else if (s === 15) st.push({ kind: Kind.Hat, midi: 0, steps: 0, velocity: 0.35 });
    }
  }
  return steps;
}

const PATTERN = buildPattern();

/** Linear-segment ADSR evaluated from the age; the release scales whatever level the note had. */
function adsr(age: number, gate: number, a: number, d: number, s: number, r: number): number {
  let e = age < a ? age / a : age < a + d ? 1 - ((1 - s) * (age - a)) / d : s;
  if (age >= gate) {
    const t = (age - gate) / r;
    e = t >= 1 ? 0 : e * (1 - t);
  }
  return e;
}

class MelodySource extends SynthSource {
  private readonly samplesPerStep: number;
  private step = 0;
  private nextStepAt = 0;
  // voice pool, struct of arrays
  private readonly kind = new Uint8Array(MAX_VOICES);
  private readonly age = new Float64Array(MAX_VOICES);
  private readonly gate = new Float64Array(MAX_VOICES);
  private readonly inc = new Float64Array(MAX_VOICES);
  private readonly phase = new Float64Array(MAX_VOICES);
  private readonly gainL = new Float64Array(MAX_VOICES);
  private readonly gainR = new Float64Array(MAX_VOICES);
  private readonly seed = new Int32Array(MAX_VOICES);
  private scratch = new Float32Array(0);
  private readonly fadeIn: number;
  private readonly fadeOut: number;
  // envelope times in samples
  private readonly t: Record<
    'a5' | 'ms1' | 'lA' | 'lD' | 'lR' | 'bA' | 'bD' | 'bR' | 'pA' | 'pD' | 'pR' | 'kLen' | 'kDrop' | 'kDecay' | 'sLen' | 'sNoise' | 'sTone' | 'hLen' | 'hDecay',
    number
  >;

  constructor(sampleRate: number, channels: 1 | 2, seconds: number, bpm: number) {
    super(sampleRate, channels, seconds);
    this.samplesPerStep = (sampleRate * 60) / bpm / 4;
    this.fadeIn = Math.min(Math.round(0.005 * sampleRate), this.totalSamples >> 2);
    this.fadeOut = Math.min(Math.round(1.5 * sampleRate), this.totalSamples >> 2);
    const s = (sec: number): number => sec * sampleRate;
    this.t = {
      a5: s(0.005),
      ms1: s(0.001),
      lA: s(0.008),
      lD: s(0.15),
      lR: s(0.09),
      bA: s(0.005),
      bD: s(0.25),
      bR: s(0.05),
      pA: s(0.3),
      pD: s(0.6),
      pR: s(0.6),
      kLen: s(0.4),
      kDrop: s(0.03),
      kDecay: s(0.13),
      sLen: s(0.22),
      sNoise: s(0.055),
      sTone: s(0.03),
      hLen: s(0.07),
      hDecay: s(0.014),
    };
  }

  private stepStart(k: number): number {
    return Math.round(k * this.samplesPerStep);
  }

  private trigger(step: number): void {
    const list = PATTERN[step % LOOP_STEPS];
    for (let j = 0; j < list.length; j++) {
      const ev = list[j];
      let v = 0;
      let oldest = -1;
      for (let i = 0; i < MAX_VOICES; i++) {
        if ((this.kind[i] as Kind) === Kind.Free) {
          v = i;
          break;
        }
        if (this.age[i] > oldest) {
          oldest = this.age[i];
          v = i;
        }
      }
      const hz = 440 * Math.pow(2, (ev.midi - 69) / 12);
      this.kind[v] = ev.kind;
      this.age[v] = 0;
      this.phase[v] = 0;
      this.inc[v] = hz / this.sampleRate;
      this.gate[v] = ev.steps * this.samplesPerStep;
      this.seed[v] = hashSeed(step * 31 + j);
      // level and pan per instrument
      let g = 0;
      let pan = 0; // -1 left .. 1 right
      switch (ev.kind) {
        case Kind.Lead: g = 0.15; pan = -0.2; break;
        case Kind.Bass: g = 0.2; break;
        case Kind.Pad: g = 0.045; pan = (ev.midi % 3) - 1; pan *= 0.5; break;
        case Kind.Kick: g = 0.42; break;
        case Kind.Snare: g = 0.2; pan = -0.1; break;
        case Kind.Hat: g = 0.07; pan = 0.35; break;
        case Kind.Free: break; // never scheduled
      }
      g *= ev.velocity;
      this.gainL[v] = g * Math.cos(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
      this.gainR[v] = g * Math.sin(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
    }
  }

  protected render(left: Float32Array, right: Float32Array | undefined, n: number): void {
    let R = right;
    if (!R) {
      if (this.scratch.length < n) this.scratch = new Float32Array(n);
      R = this.scratch.subarray(0, n);
      R.fill(0);
    }
    let i = 0;
    while (i < n) {
      const abs = this.pos + i;
      while (abs >= this.nextStepAt) {
        this.trigger(this.step);
        this.step++;
        this.nextStepAt = this.stepStart(this.step);
      }
      const segEnd = Math.min(n, i + (this.nextStepAt - abs));
      for (let v = 0; v < MAX_VOICES; v++) if ((this.kind[v] as Kind) !== Kind.Free) this.renderVoice(v, left, R, i, segEnd);
      i = segEnd;
    }
    // master: fades, gentle knee above 0.75 so the sum can never clip
    const start = this.pos;
    for (let k = 0; k < n; k++) {
      const a = start + k;
      let g = 1;
      if (a < this.fadeIn) g = 0.5 - 0.5 * Math.cos((Math.PI * (a + 0.5)) / this.fadeIn);
      else if (a >= this.totalSamples - this.fadeOut) g = 0.5 - 0.5 * Math.cos((Math.PI * (this.totalSamples - a - 0.5)) / this.fadeOut);
      let l = left[k] * g;
      const r = R[k] * g;
      if (!right) {
        l = 0.5 * (l + r);
        left[k] = softClip(l);
      } else {
        left[k] = softClip(l);
        right[k] = softClip(r);
      }
    }
  }

  private renderVoice(v: number, L: Float32Array, R: Float32Array, from: number, to: number): void {
    const t = this.t;
    const gl = this.gainL[v];
    const gr = this.gainR[v];
    const gate = this.gate[v];
    const inc = this.inc[v];
    const seed = this.seed[v];
    let age = this.age[v];
    let p = this.phase[v];
    let end = Infinity; // age at which the voice is silent for good
    switch (this.kind[v] as Kind) {
      case Kind.Lead:
        end = gate + t.lR;
        for (let i = from; i < to && age < end; i++, age++) {
          const x = adsr(age, gate, t.lA, t.lD, 0.55, t.lR) * (Math.sin(TWO_PI * p) + 0.3 * Math.sin(2 * TWO_PI * p) + 0.12 * Math.sin(3 * TWO_PI * p));
          L[i] += gl * x;
          R[i] += gr * x;
          p += inc;
          if (p >= 1) p -= 1;
        }
        break;
      case Kind.Bass:
        end = gate + t.bR;
        for (let i = from; i < to && age < end; i++, age++) {
          const x = adsr(age, gate, t.bA, t.bD, 0.7, t.bR) * (Math.sin(TWO_PI * p) + 0.25 * Math.sin(2 * TWO_PI * p));
          L[i] += gl * x;
          R[i] += gr * x;
          p += inc;
          if (p >= 1) p -= 1;
        }
        break;
      case Kind.Pad:
        end = gate + t.pR;
        for (let i = from; i < to && age < end; i++, age++) {
          const x = adsr(age, gate, t.pA, t.pD, 0.8, t.pR) * (4 * Math.abs(p - 0.5) - 1); // triangle
          L[i] += gl * x;
          R[i] += gr * x;
          p += inc;
          if (p >= 1) p -= 1;
        }
        break;
      case Kind.Kick:
        end = t.kLen;
        for (let i = from; i < to && age < end; i++, age++) {
          const env = Math.min(1, age / t.ms1) * Math.exp(-age / t.kDecay) * (1 - age / end);
          const x = env * Math.sin(TWO_PI * p);
          L[i] += gl * x;
          R[i] += gr * x;
          p += (48 + 110 * Math.exp(-age / t.kDrop)) / this.sampleRate; // pitch drop
          if (p >= 1) p -= 1;
        }
        break;
      case Kind.Snare: {
        end = t.sLen;
        const toneInc = 196 / this.sampleRate; // G3: a tuned drum stays in the key
        for (let i = from; i < to && age < end; i++, age++) {
          const taper = Math.min(1, age / t.ms1) * (1 - age / end);
          const x = taper * (Math.exp(-age / t.sNoise) * noiseAt(seed, age) + 0.5 * Math.exp(-age / t.sTone) * Math.sin(TWO_PI * p));
          L[i] += gl * x;
          R[i] += gr * x;
          p += toneInc;
          if (p >= 1) p -= 1;
        }
        break;
      }
      case Kind.Hat:
        end = t.hLen;
        for (let i = from; i < to && age < end; i++, age++) {
          // first difference of white noise: a cheap high-pass
          const x = Math.min(1, age / t.ms1) * Math.exp(-age / t.hDecay) * (1 - age / end) * 0.5 * (noiseAt(seed, age) - noiseAt(seed, age - 1));
          L[i] += gl * x;
          R[i] += gr * x;
        }
        break;
      case Kind.Free:
        break; // not sounding
    }
    if (age >= end) this.kind[v] = Kind.Free;
    else {
      this.age[v] = age;
      this.phase[v] = p;
    }
  }
}

function softClip(x: number): number {
  const a = x < 0 ? -x : x;
  if (a <= 0.75) return x;
  const y = 0.75 + 0.25 * Math.tanh((a - 0.75) / 0.25);
  return x < 0 ? -y : y;
}

// ------------------------------------------------------------------------------------ public API

/**
 * Deterministic procedural audio sources. Each returns a fresh {@link PcmPullSource} (float PCM
 * in [-1, 1]); the same options always give the same samples, however the caller sizes its pulls.
 * Bad options throw `Mp4ForgeError` with code `INVALID_OPTION`.
 *
 * @example
 * const it = encodePcmToMp3(audio.melody({ seconds: 30 }));
 */
export const audio = {
  /** A sine tone with 5 ms raised-cosine fades at both ends. */
  tone(opts: ToneOptions): PcmPullSource {
    const { sampleRate, channels } = common('tone', opts);
    const seconds = checkSeconds('tone', opts.seconds);
    const frequency = checkFrequency('tone', opts.frequency, sampleRate);
    const amplitude = checkNumber('audio.tone: amplitude', opts.amplitude ?? 0.5, 0, 1);
    return new PartialsSource(sampleRate, channels, seconds, [frequency], amplitude);
  },

  /** A sum of equal-amplitude sines (amplitude / count each), faded like {@link audio}.tone. */
  chord(opts: ChordOptions): PcmPullSource {
    const { sampleRate, channels } = common('chord', opts);
    const seconds = checkSeconds('chord', opts.seconds);
    if (!Array.isArray(opts.frequencies) || opts.frequencies.length === 0 || opts.frequencies.length > 64) {
      throw bad('audio.chord: frequencies must be an array of 1..64 numbers (Hz)');
    }
    const freqs = opts.frequencies.map((f) => checkFrequency('chord', f, sampleRate));
    const amplitude = checkNumber('audio.chord: amplitude', opts.amplitude ?? 0.5, 0, 1);
    return new PartialsSource(sampleRate, channels, seconds, freqs, amplitude);
  },

  /**
   * White-noise bursts of `burstSeconds` starting at 0, intervalSeconds, 2·intervalSeconds, …,
   * silence between them; 1 ms fades at each burst edge. Burst k starts at sample
   * round(k · intervalSeconds · sampleRate).
   */
  noiseBurst(opts: NoiseBurstOptions): PcmPullSource {
    const { sampleRate, channels } = common('noiseBurst', opts);
    const seconds = checkSeconds('noiseBurst', opts.seconds);
    const interval = checkNumber('audio.noiseBurst: intervalSeconds', opts.intervalSeconds ?? 1, 0, 3600, { minExclusive: true });
    if (interval * sampleRate < 1) throw bad(`audio.noiseBurst: intervalSeconds ${interval} is shorter than one sample`);
    const burst = checkNumber('audio.noiseBurst: burstSeconds', opts.burstSeconds ?? 0.1, 0, 3600, { minExclusive: true });
    const amplitude = checkNumber('audio.noiseBurst: amplitude', opts.amplitude ?? 0.5, 0, 1);
    const seed = checkNumber('audio.noiseBurst: seed', opts.seed ?? 1, -2147483648, 4294967295, { integer: true });
    return new NoiseBurstSource(sampleRate, channels, seconds, burst, interval, amplitude, hashSeed(seed));
  },

  /** Silence with one-sample clicks at round(t · sampleRate) for each t in `at` — for A/V sync tests. */
  clicks(opts: ClicksOptions): PcmPullSource {
    const { sampleRate, channels } = common('clicks', opts);
    const seconds = checkSeconds('clicks', opts.seconds);
    const amplitude = checkNumber('audio.clicks: amplitude', opts.amplitude ?? 0.9, 0, 1);
    if (!Array.isArray(opts.at)) throw bad('audio.clicks: at must be an array of times in seconds');
    const total = Math.round(seconds * sampleRate);
    const idx = Float64Array.from(opts.at, (t) => {
      const v = checkNumber('audio.clicks: at[]', t, 0, seconds, { maxExclusive: true });
      const i = Math.round(v * sampleRate);
      if (i >= total) throw bad(`audio.clicks: click at ${v} s rounds to sample ${i}, past the end (${total} samples)`);
      return i;
    }).sort();
    return new ClickSource(sampleRate, channels, seconds, idx, amplitude);
  },

  /**
   * A small sequenced tune in A minor (Am–F–C–G): lead, bass, pad, kick, snare and hi-hat with
   * ADSR envelopes, panned in stereo (mono sums the two sides). Eight bars loop to `seconds`; the
   * last 1.5 s (at most a quarter) fade out.
   */
  melody(opts: MelodyOptions = {}): PcmPullSource {
    const { sampleRate, channels } = common('melody', opts);
    const seconds = checkSeconds('melody', opts.seconds ?? 20);
    const bpm = checkNumber('audio.melody: bpm', opts.bpm ?? 110, 40, 240);
    return new MelodySource(sampleRate, channels, seconds, bpm);
  },
};
