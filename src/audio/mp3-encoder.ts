// PCM → MP3 through lamejs (@breezystack/lamejs), streaming, with the timing figures the MP4 muxer
// needs for a gapless edit list.
//
// Measured timing (test/mp3-encoder.test.ts re-measures it on every run):
// lamejs writes no Xing/LAME tag. A single-sample click at input index n, encoded by lamejs and
// decoded from the raw .mp3 by ffmpeg (which, without a LAME tag, trims nothing), peaks at
// n + 1105 at 44.1/48 kHz (1152-sample frames) and at 22.05/8 kHz (576-sample frames), mono and
// stereo alike. 1105 = 576 + 529: 576 is LAME's ENCDELAY, the same 'encoder delay' value that
// ffmpeg's libmp3lame writes into its LAME tag (checked: ffmpeg -c:a libmp3lame gives delay=576 and
// the same click offset with `-flags2 +skip_manual`), and 529 is the standard MP3 decoder delay
// (528 + 1). So `encoderDelay` = 576 in the LAME-tag convention.
//
// Padding follows the LAME tag convention too: frames·samplesPerFrame = encoderDelay + input +
// padding. LAME's flush pads to a frame boundary with at least 576 samples:
//   padding = spf − ((576 + input) mod spf), plus spf when that is below 576.
// The encoder counts the frames it actually emitted and checks this identity after flush.
// A muxer that skips encoderDelay + 529 samples and plays `input` samples drops padding − 529
// (always ≥ 47) samples at the end.
import { Mp4ForgeError } from '../errors.js';
import { optionsObject, show } from '../validate.js';
import { bitratesOf, decodeMp3Header, readHeaderWord, sampleRatesOf, type MpegVersion } from './mp3-header.js';
import { toCheckedPullSource, type PcmSource } from './pcm-source.js';

export { MP3_DECODER_DELAY } from './mp3-gapless.js';
/** lamejs's encoder delay in samples, in the LAME-tag convention (measured; equals LAME's ENCDELAY). */
export const LAMEJS_ENCODER_DELAY = 576;

/** Options for {@link PcmToMp3Encoder} and {@link encodePcmToMp3}. */
export interface Mp3EncodeOptions {
  /**
   * Constant bitrate in kbit/s. Must be a Layer III bitrate for the MPEG version the sample rate
   * implies, and high enough that lamejs keeps the input sample rate (LAME picks a lower output
   * rate for low bitrates; mp4forge refuses that rather than resample silently).
   * Default: see {@link defaultMp3Kbps} (128 stereo / 64 mono at 32–48 kHz).
   */
  kbps?: number;
  /** Output channel mode: 1 = mono (a stereo source is averaged), 2 = stereo (a mono source is duplicated). Default: the source's channels. */
  channels?: 1 | 2;
}

/** What an encode produced: the figures an MP4 muxer needs for exact (gapless) timing. */
export interface Mp3EncodeSummary {
  /** Input sample frames (per channel) encoded. */
  inputSamples: number;
  /** Samples of encoder delay at the start, LAME-tag convention (576 for lamejs). */
  encoderDelay: number;
  /** Samples of padding at the end, LAME-tag convention: frames·samplesPerFrame − encoderDelay − inputSamples. */
  padding: number;
  /** MP3 frames written. */
  frames: number;
  /** Output sample rate (always equal to the input's). */
  sampleRate: number;
  /** Output channels. */
  channels: 1 | 2;
  /** 1152 (MPEG-1) or 576 (MPEG-2/2.5). */
  samplesPerFrame: number;
  /** The bitrate used. */
  kbps: number;
  /** MP3 bytes written. */
  bytes: number;
}

interface LameEncoder {
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array | Uint8Array;
  flush(): Int8Array | Uint8Array;
}
type LameEncoderCtor = new (channels: number, sampleRate: number, kbps: number) => LameEncoder;

let lameCtor: Promise<LameEncoderCtor> | undefined;

// lamejs is a chunk of its own, imported on first use: an app that writes video (or muxes an MP3 it
// already has) neither fetches nor evaluates it (about 58 KiB gzipped, and a fifth of the import
// time in Node). The package's `require` entry is a script that exports nothing, so the build
// bundles its ESM entry (tsup `noExternal`) and both our ESM and CJS outputs see `Mp3Encoder`.
function loadLame(): Promise<LameEncoderCtor> {
  lameCtor ??= import('@breezystack/lamejs').then((lameNs) => {
    const ns = lameNs as unknown as { Mp3Encoder?: unknown; default?: { Mp3Encoder?: unknown } };
    const ctor = ns.Mp3Encoder ?? ns.default?.Mp3Encoder;
    if (typeof ctor !== 'function') {
      throw new Mp4ForgeError('UNSUPPORTED_RUNTIME', '@breezystack/lamejs did not provide an Mp3Encoder constructor in this runtime');
    }
    return ctor as LameEncoderCtor;
  });
  return lameCtor;
}

/** Layer III bitrates (kbit/s) of an MPEG version: the header table without free format (0) and forbidden (-1). */
function layer3Kbps(version: MpegVersion): readonly number[] {
  return bitratesOf(version, 3).filter((k) => k > 0);
}
// LAME caps MPEG-2.5 at 64 kbit/s (its bitrate table; a higher request is silently rounded down)
const MPEG25_KBPS = layer3Kbps(2.5).filter((k) => k <= 64);
const MPEG1_KBPS = layer3Kbps(1);
const MPEG2_KBPS = layer3Kbps(2);
/** Sample rates lamejs can encode without resampling (MPEG-1, MPEG-2, MPEG-2.5). */
export const MP3_SAMPLE_RATES: readonly number[] = ([1, 2, 2.5] as const).flatMap((v) => sampleRatesOf(v)).sort((a, b) => a - b);

// LAME's CBR lowpass per bitrate (lame.c optimum_bandwidth), used to predict the output rate.
const LOWPASS_KBPS = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const LOWPASS_HZ = [2000, 3700, 3900, 5500, 7000, 7500, 10000, 11000, 13500, 15100, 15600, 17000, 17500, 18600, 19400, 19700, 20500];

/**
 * The output sample rate LAME picks when none is set (lamejs never sets one): it derives a lowpass
 * from the bitrate (×1.5 for mono) and drops to a lower standard rate when that lowpass is low.
 * Mirrors lame_init_params + optimum_samplefreq for CBR.
 */
function lameOutputRate(inRate: number, outChannels: 1 | 2, kbps: number): number {
  let idx = LOWPASS_KBPS.length - 1;
  for (let i = 0; i < LOWPASS_KBPS.length - 1; i++) {
    if (LOWPASS_KBPS[i + 1] > kbps) {
      // nearest table entry, ties going up (nearestBitrateFullIndex)
      idx = LOWPASS_KBPS[i + 1] - kbps > kbps - LOWPASS_KBPS[i] ? i : i + 1;
      break;
    }
  }
  let lowpass = LOWPASS_HZ[idx];
  if (outChannels === 1) lowpass = (lowpass * 1.5) | 0;
  if (2 * lowpass > inRate) lowpass = inRate / 2;
  let rate = inRate >= 48000 ? 48000 : inRate >= 44100 ? 44100 : inRate >= 32000 ? 32000 : inRate >= 24000 ? 24000
    : inRate >= 22050 ? 22050 : inRate >= 16000 ? 16000 : inRate >= 12000 ? 12000 : inRate >= 11025 ? 11025 : 8000;
  if (lowpass <= 15960) rate = 44100;
  if (lowpass <= 15250) rate = 32000;
  if (lowpass <= 11220) rate = 24000;
  if (lowpass <= 9970) rate = 22050;
  if (lowpass <= 7230) rate = 16000;
  if (lowpass <= 5420) rate = 12000;
  if (lowpass <= 4510) rate = 11025;
  if (lowpass <= 3970) rate = 8000;
  return inRate < rate ? inRate : rate; // inRate is always a standard rate here
}

/** Layer III bitrates lamejs encodes at `sampleRate`: MPEG-1 at 32–48 kHz, MPEG-2 at 16–24 kHz, MPEG-2.5 (8–64 only) below. */
export function mp3BitratesFor(sampleRate: number): readonly number[] {
  return sampleRate >= 32000 ? MPEG1_KBPS : sampleRate >= 16000 ? MPEG2_KBPS : MPEG25_KBPS;
}

/** Bitrates at which lamejs keeps `sampleRate` for the given output channels (no resampling). */
export function mp3UsableBitrates(sampleRate: number, channels: 1 | 2): number[] {
  return mp3BitratesFor(sampleRate).filter((k) => lameOutputRate(sampleRate, channels, k) === sampleRate);
}

/**
 * Default bitrate: 128 kbit/s stereo and 64 mono at 32–48 kHz (LAME's and ffmpeg's usual CBR
 * choice for 44.1 kHz stereo; mono gets the same bits per channel). At MPEG-2 rates (16–24 kHz)
 * 64 stereo / 48 mono and at MPEG-2.5 rates (8–12 kHz) 32 stereo / 24 mono: the band is half or a
 * quarter as wide, and each of these is the lowest round figure at which lamejs does not resample.
 */
export function defaultMp3Kbps(sampleRate: number, channels: 1 | 2): number {
  if (sampleRate >= 32000) return channels === 2 ? 128 : 64;
  if (sampleRate >= 16000) return channels === 2 ? 64 : 48;
  return channels === 2 ? 32 : 24;
}

interface ResolvedMp3Options {
  kbps: number;
  channels: 1 | 2;
}

function resolveOptions(sampleRate: number, inputChannels: number, opts: Mp3EncodeOptions | undefined): ResolvedMp3Options {
  if (typeof sampleRate !== 'number' || !MP3_SAMPLE_RATES.includes(sampleRate)) {
    throw new Mp4ForgeError('INVALID_OPTION', `MP3 sample rate ${show(sampleRate)} Hz is not supported; expected one of ${MP3_SAMPLE_RATES.join(', ')}`);
  }
  if (inputChannels !== 1 && inputChannels !== 2) {
    throw new Mp4ForgeError('INVALID_OPTION', `PCM channels must be 1 or 2, got ${show(inputChannels)}`);
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new Mp4ForgeError('INVALID_OPTION', `MP3 options must be an object, got ${show(opts)}`);
  }
  if (opts !== undefined) optionsObject(opts, '', ['kbps', 'channels']);
  const channels = opts?.channels ?? (inputChannels);
  if (channels !== 1 && channels !== 2) {
    throw new Mp4ForgeError('INVALID_OPTION', `MP3 channels must be 1 (mono) or 2 (stereo), got ${show(channels)}`);
  }
  const kbps = opts?.kbps ?? defaultMp3Kbps(sampleRate, channels);
  const valid = mp3BitratesFor(sampleRate);
  if (typeof kbps !== 'number' || !valid.includes(kbps)) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `MP3 bitrate ${show(kbps)} kbps is not a Layer III bitrate at ${sampleRate} Hz; expected one of ${valid.join(', ')}`,
    );
  }
  const outRate = lameOutputRate(sampleRate, channels, kbps);
  if (outRate !== sampleRate) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `MP3 bitrate ${kbps} kbps is too low for ${sampleRate} Hz ${channels === 2 ? 'stereo' : 'mono'}: lamejs would resample to ${outRate} Hz; use one of ${mp3UsableBitrates(sampleRate, channels).join(', ')}`,
    );
  }
  return { kbps, channels };
}


/** Samples converted and handed to lamejs per call: four MPEG-1 frames. */
const BLOCK = 1152 * 4;

/**
 * float → int16 exactly as ffmpeg's flt→s16 does: ×32768, clip to [-32768, 32767], round to
 * nearest with ties to even (lrintf). NaN becomes 0.
 * Converts `n` samples of `src` starting at `from` into `dst[0..n)`.
 */
export function floatToInt16(src: Float32Array, from: number, n: number, dst: Int16Array): void {
  for (let i = 0; i < n; i++) {
    let v = src[from + i] * 32768;
    v = v > 32767 ? 32767 : v < -32768 ? -32768 : v; // NaN falls through and stores as 0
    dst[i] = roundHalfEven(v);
  }
}

function downmixToInt16(l: Float32Array, r: Float32Array, from: number, n: number, dst: Int16Array): void {
  for (let i = 0; i < n; i++) {
    let v = (l[from + i] + r[from + i]) * 16384;
    v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    dst[i] = roundHalfEven(v);
  }
}

// Ties are common, not theoretical: a float32 in [0.5, 1) times 32768 lands on .5 once in 512.
function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +∞
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/**
 * Incremental PCM → MP3 (CBR, no Xing/LAME tag, no bit reservoir, as lamejs writes it).
 * Memory is bounded by the block handed to {@link PcmToMp3Encoder.encode}; nothing accumulates.
 *
 * Created by {@link PcmToMp3Encoder.create}, which loads lamejs (a chunk of its own) first.
 *
 * @example
 * const enc = await PcmToMp3Encoder.create(44100, 2, { kbps: 128 });
 * sink.write(enc.encode([left, right]));
 * sink.write(enc.flush());
 * // edit list: skip enc.encoderDelay + 529 samples, play enc.inputSamples
 */
export class PcmToMp3Encoder {
  /** Sample rate in and out (Hz). */
  readonly sampleRate: number;
  /** Planes expected by {@link encode}. */
  readonly inputChannels: 1 | 2;
  /** Output channels. */
  readonly channels: 1 | 2;
  /** Constant bitrate in kbit/s. */
  readonly kbps: number;
  /** 1152 at 32–48 kHz (MPEG-1), 576 below (MPEG-2/2.5). */
  readonly samplesPerFrame: number;
  /** Encoder delay in samples, LAME-tag convention (576; see the measurement note in this module). */
  readonly encoderDelay: number = LAMEJS_ENCODER_DELAY;

  private readonly lame: LameEncoder;
  private readonly left = new Int16Array(BLOCK);
  private readonly right: Int16Array;
  private samplesIn = 0;
  private bytesOut = 0;
  private framesOut = 0;
  private flushed = false;
  // frame walker state: counts the frames lamejs emits and checks their headers
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  private skip = 0;

  /**
   * Loads lamejs (on first use) and creates an encoder.
   * @param sampleRate input (= output) rate: 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000.
   * @param channels planes per {@link encode} call (1 or 2).
   * @throws Mp4ForgeError `INVALID_OPTION` (a rejected promise) for an unsupported rate, channel count or bitrate.
   */
  static async create(sampleRate: number, channels: 1 | 2, opts?: Mp3EncodeOptions): Promise<PcmToMp3Encoder> {
    const o = resolveOptions(sampleRate, channels, opts);
    return new PcmToMp3Encoder(sampleRate, channels, o, await loadLame());
  }

  private constructor(sampleRate: number, channels: 1 | 2, o: ResolvedMp3Options, Ctor: LameEncoderCtor) {
    this.sampleRate = sampleRate;
    this.inputChannels = channels;
    this.channels = o.channels;
    this.kbps = o.kbps;
    this.samplesPerFrame = sampleRate >= 32000 ? 1152 : 576;
    this.right = this.channels === 2 && this.inputChannels === 2 ? new Int16Array(BLOCK) : this.left;
    this.lame = new Ctor(this.channels, sampleRate, this.kbps);
  }

  /** Input sample frames encoded so far. */
  get inputSamples(): number {
    return this.samplesIn;
  }
  /** MP3 frames emitted so far. */
  get frames(): number {
    return this.framesOut;
  }
  /** MP3 bytes emitted so far. */
  get bytes(): number {
    return this.bytesOut;
  }

  /**
   * Encodes one block of planar float PCM (one array per input channel, equal lengths, any
   * length including 0) and returns the MP3 bytes that became ready (often empty: lamejs holds
   * back up to ~2 frames).
   * @throws Mp4ForgeError `INVALID_FRAME` for planes of the wrong count, type or length;
   *   `WRITER_CLOSED` after {@link flush}.
   */
  encode(planes: Float32Array[]): Uint8Array {
    if (this.flushed) throw new Mp4ForgeError('WRITER_CLOSED', 'PcmToMp3Encoder.encode() called after flush()');
    if (!Array.isArray(planes) || planes.length !== this.inputChannels) {
      throw new Mp4ForgeError(
        'INVALID_FRAME',
        `encode() expects ${this.inputChannels} Float32Array plane(s), got ${Array.isArray(planes) ? planes.length : typeof planes}`,
      );
    }
    const l = planes[0];
    const r = planes[this.inputChannels - 1];
    if (!(l instanceof Float32Array) || !(r instanceof Float32Array)) {
      throw new Mp4ForgeError('INVALID_FRAME', 'encode() expects Float32Array planes');
    }
    if (l.length !== r.length) {
      throw new Mp4ForgeError('INVALID_FRAME', `encode() planes differ in length (${l.length} vs ${r.length}); they must be equal`);
    }
    const n = l.length;
    let single: Uint8Array | undefined;
    let parts: Uint8Array[] | undefined;
    for (let off = 0; off < n; off += BLOCK) {
      const m = Math.min(BLOCK, n - off);
      let out: Int8Array | Uint8Array;
      if (this.channels === 1 && this.inputChannels === 2) {
        downmixToInt16(l, r, off, m, this.left);
        out = this.lame.encodeBuffer(this.left.subarray(0, m));
      } else {
        floatToInt16(l, off, m, this.left);
        if (this.right !== this.left) floatToInt16(r, off, m, this.right);
        out =
          this.channels === 2 ? this.lame.encodeBuffer(this.left.subarray(0, m), this.right.subarray(0, m)) : this.lame.encodeBuffer(this.left.subarray(0, m));
      }
      this.samplesIn += m;
      if (out.length === 0) continue;
      // lamejs returns a fresh Int8Array copy each call; view it as bytes without copying again
      const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
      if (single === undefined) single = bytes;
      else (parts ??= [single]).push(bytes);
    }
    const result = parts ? concat(parts) : single ?? new Uint8Array(0);
    this.account(result);
    return result;
  }

  /**
   * Encodes what lamejs still holds plus LAME's end padding and returns the last bytes.
   * Afterwards `frames·samplesPerFrame = encoderDelay + inputSamples + padding()` holds exactly.
   * @throws Mp4ForgeError `WRITER_CLOSED` when called twice; `ENCODER_FAILED` if lamejs's output breaks that identity.
   */
  flush(): Uint8Array {
    if (this.flushed) throw new Mp4ForgeError('WRITER_CLOSED', 'PcmToMp3Encoder.flush() called twice');
    this.flushed = true;
    const out = this.lame.flush();
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
    this.account(bytes);
    if (this.headerFill !== 0 || this.skip !== 0) {
      throw new Mp4ForgeError('ENCODER_FAILED', `lamejs output ended inside an MP3 frame (${this.headerFill} header bytes, ${this.skip} bytes missing)`);
    }
    const expected = this.padding(this.samplesIn);
    const actual = this.framesOut * this.samplesPerFrame - this.encoderDelay - this.samplesIn;
    if (actual !== expected) {
      throw new Mp4ForgeError('ENCODER_FAILED', `lamejs wrote ${this.framesOut} frames for ${this.samplesIn} samples: padding ${actual}, expected ${expected}`);
    }
    return bytes;
  }

  /**
   * End padding in samples (LAME-tag convention) for `totalInputSamples` input samples:
   * `spf − ((encoderDelay + total) mod spf)`, plus `spf` if that is below 576 — what LAME's flush
   * writes, so that `frames·spf = encoderDelay + total + padding`. Defaults to the samples encoded so far.
   */
  padding(totalInputSamples: number = this.samplesIn): number {
    if (!Number.isInteger(totalInputSamples) || totalInputSamples < 0) {
      throw new Mp4ForgeError('INVALID_OPTION', `padding() needs a non-negative integer sample count, got ${show(totalInputSamples)}`);
    }
    const spf = this.samplesPerFrame;
    let p = spf - ((this.encoderDelay + totalInputSamples) % spf);
    if (p < 576) p += spf;
    return p;
  }

  /** Figures for the MP4 muxer; final once {@link flush} has run. */
  summary(): Mp3EncodeSummary {
    return {
      inputSamples: this.samplesIn,
      encoderDelay: this.encoderDelay,
      padding: this.framesOut * this.samplesPerFrame - this.encoderDelay - this.samplesIn,
      frames: this.framesOut,
      sampleRate: this.sampleRate,
      channels: this.channels,
      samplesPerFrame: this.samplesPerFrame,
      kbps: this.kbps,
      bytes: this.bytesOut,
    };
  }

  // Walks frame headers across chunk boundaries: counts frames and checks that lamejs encoded
  // at the rate, mode and bitrate we validated (a resampling lamejs would break all timing).
  private account(b: Uint8Array): void {
    this.bytesOut += b.length;
    let i = 0;
    while (i < b.length) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, b.length - i);
        this.skip -= k;
        i += k;
        continue;
      }
      this.header[this.headerFill++] = b[i++];
      if (this.headerFill === 4) {
        this.skip = this.frameLength() - 4;
        this.headerFill = 0;
        this.framesOut++;
      }
    }
  }

  private frameLength(): number {
    const h = this.header;
    const header = h[0] === 0xff ? decodeMp3Header(readHeaderWord(h, 0)) : null;
    if (
      !header || header.layer !== 3 || header.sampleRate !== this.sampleRate || header.bitrateKbps !== this.kbps || header.channels !== this.channels
    ) {
      const bytes = Array.from(h, (x) => x.toString(16).padStart(2, '0')).join(' ');
      throw new Mp4ForgeError(
        'ENCODER_FAILED',
        `lamejs wrote an unexpected MP3 frame header ${bytes} at frame ${this.framesOut} ` +
          `(expected Layer III, ${this.sampleRate} Hz, ${this.kbps} kbps, ${this.channels === 1 ? 'mono' : 'stereo'})`,
      );
    }
    return header.frameLength;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Sample frames pulled from the source per step: eight MPEG-1 frames (~0.2 s at 44.1 kHz). */
const PULL_FRAMES = 1152 * 8;

/**
 * Encodes a PCM source to MP3, yielding the bytes chunk by chunk (each chunk non-empty) and
 * returning the {@link Mp3EncodeSummary} when done. Neither the input nor the output is held
 * whole: the source is pulled about 0.2 s at a time.
 *
 * Options are checked when this is called, before any iteration.
 * @throws Mp4ForgeError `INVALID_OPTION` for a bad source or options (at call time); `INVALID_FRAME`
 *   or `USER_CALLBACK_FAILED` from a misbehaving pull source (while iterating).
 *
 * @example
 * const it = encodePcmToMp3(audio.melody({ seconds: 10 }));
 * let r; while (!(r = await it.next()).done) sink.write(r.value);
 * const { encoderDelay, padding } = r.value;
 */
export function encodePcmToMp3(source: PcmSource, opts?: Mp3EncodeOptions): AsyncGenerator<Uint8Array, Mp3EncodeSummary, void> {
  const src = toCheckedPullSource(source);
  resolveOptions(src.sampleRate, src.channels, opts); // bad options throw here, before the first next()
  return (async function* run(): AsyncGenerator<Uint8Array, Mp3EncodeSummary, void> {
    const encoder = await PcmToMp3Encoder.create(src.sampleRate, src.channels, opts);
    for (;;) {
      const block = src.pull(PULL_FRAMES);
      if (block === null) break;
      const out = encoder.encode(block);
      if (out.length > 0) yield out;
    }
    const tail = encoder.flush();
    if (tail.length > 0) yield tail;
    return encoder.summary();
  })();
}
