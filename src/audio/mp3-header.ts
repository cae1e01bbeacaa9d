// MPEG audio frame header (ISO/IEC 11172-3, 13818-3 and the MPEG-2.5 extension): pure decoding
// and frame-length arithmetic. The parser hops frame to frame with `frameLengthOf`, which is a
// single table lookup, so nothing here allocates except `decodeMp3Header`.

/** MPEG audio version: 1 (ISO 11172-3), 2 (ISO 13818-3 low sample rates) or 2.5 (unofficial, lower still). */
export type MpegVersion = 1 | 2 | 2.5;
/** MPEG audio layer. */
export type MpegLayer = 1 | 2 | 3;
/** The header's channel mode. Only `mono` has one channel. */
export type Mp3ChannelMode = 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';

/** Everything a 4-byte MPEG audio frame header says. */
export interface Mp3Header {
  mpegVersion: MpegVersion;
  layer: MpegLayer;
  /** True when a 16-bit CRC follows the header (protection bit is 0). */
  crcProtected: boolean;
  /** Bitrate in kbit/s; 0 means free format (length not derivable from the header). */
  bitrateKbps: number;
  sampleRate: number;
  padding: boolean;
  channelMode: Mp3ChannelMode;
  modeExtension: number;
  copyright: boolean;
  original: boolean;
  emphasis: number;
  channels: 1 | 2;
  samplesPerFrame: number;
  /** Whole frame length in bytes including header and CRC; 0 for free format. */
  frameLength: number;
}

/**
 * Largest frame the tables allow (Layer II at 160 kbit/s, 8 kHz, MPEG-2.5, padded: 2881 bytes).
 * Free format is unsupported, so no frame is longer.
 */
export const MAX_MP3_FRAME_LENGTH = 2881;

// Bitrates in kbit/s, index 1..14 (0 = free format, 15 = forbidden).
const BR_V1_L1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1];
const BR_V1_L2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1];
const BR_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1];
const BR_V2_L1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1];
const BR_V2_L23 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1];

// Indexed by the 2 version bits: 00 = 2.5, 01 = reserved, 10 = 2, 11 = 1.
const VERSION_BY_BITS: readonly (MpegVersion | 0)[] = [2.5, 0, 2, 1];
// Indexed by the 2 layer bits: 00 = reserved, 01 = III, 10 = II, 11 = I.
const LAYER_BY_BITS: readonly (MpegLayer | 0)[] = [0, 3, 2, 1];
const SAMPLE_RATES: Record<number, readonly number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
};
const CHANNEL_MODES: readonly Mp3ChannelMode[] = ['stereo', 'joint-stereo', 'dual-channel', 'mono'];

function bitrateTable(version: MpegVersion, layer: MpegLayer): readonly number[] {
  if (version === 1) return layer === 1 ? BR_V1_L1 : layer === 2 ? BR_V1_L2 : BR_V1_L3;
  return layer === 1 ? BR_V2_L1 : BR_V2_L23;
}

/** Samples per frame: 384 (Layer I), 1152 (Layer II, and Layer III MPEG-1), 576 (Layer III MPEG-2/2.5). */
export function samplesPerFrameOf(version: MpegVersion, layer: MpegLayer): number {
  if (layer === 1) return 384;
  if (layer === 2) return 1152;
  return version === 1 ? 1152 : 576;
}

/** Sample rates (Hz) for sample-rate indices 0..2 of a version. */
export function sampleRatesOf(version: MpegVersion): readonly number[] {
  return SAMPLE_RATES[version];
}

/** Bitrates (kbit/s) for bitrate indices 0..15 of a version/layer; index 0 = free (0), 15 = forbidden (-1). */
export function bitratesOf(version: MpegVersion, layer: MpegLayer): readonly number[] {
  return bitrateTable(version, layer);
}

/**
 * Frame length in bytes from the stream parameters. Layer I counts 4-byte slots:
 * (12·bitrate/rate + padding)·4. Layers II/III count bytes: 144·bitrate/rate + padding, except
 * Layer III MPEG-2/2.5 whose 576-sample frames use 72.
 */
export function computeFrameLength(version: MpegVersion, layer: MpegLayer, bitrateKbps: number, sampleRate: number, padding: boolean): number {
  const bps = bitrateKbps * 1000;
  const pad = padding ? 1 : 0;
  if (layer === 1) return (Math.floor((12 * bps) / sampleRate) + pad) * 4;
  const coeff = layer === 3 && version !== 1 ? 72 : 144;
  return Math.floor((coeff * bps) / sampleRate) + pad;
}

// Frame length for every combination of the 11 header bits that determine it:
// version(2) layer(2) | bitrate(4) samplerate(2) padding(1). 0 = invalid header, -1 = free format.
const LENGTHS = new Int16Array(1 << 11);
for (let vl = 0; vl < 16; vl++) {
  const version = VERSION_BY_BITS[vl >> 2];
  const layer = LAYER_BY_BITS[vl & 3];
  if (version === 0 || layer === 0) continue;
  const rates = bitrateTable(version, layer);
  for (let low = 0; low < 128; low++) {
    const brIndex = low >> 3;
    const srIndex = (low >> 1) & 3;
    if (brIndex === 15 || srIndex === 3) continue;
    LENGTHS[(vl << 7) | low] = brIndex === 0 ? -1 : computeFrameLength(version, layer, rates[brIndex], SAMPLE_RATES[version][srIndex], (low & 1) === 1);
  }
}

/** Big-endian 32-bit read as a signed int32 (the form all header masks below use). Caller checks bounds. */
export function readHeaderWord(buf: Uint8Array, p: number): number {
  return (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
}

/**
 * Frame length for a header word: > 0 for a valid header, 0 when it is not a header (no sync,
 * reserved version/layer, forbidden bitrate, reserved sample rate), -1 for free format.
 */
export function frameLengthOf(word: number): number {
  if (word >>> 21 !== 0x7ff) return 0;
  return LENGTHS[(((word >>> 17) & 0xf) << 7) | ((word >>> 9) & 0x7f)];
}

/** The lookup table itself, for the parser's hot loop (index: ((w>>>17)&15)<<7 | (w>>>9)&127). */
export const FRAME_LENGTH_TABLE: Readonly<Int16Array> = LENGTHS;

/**
 * Bits that must not change within one stream: sync, version, layer, sample rate. The channel
 * count (mono vs any two-channel mode) is compared separately so joint stereo ↔ stereo is allowed.
 */
export const STREAM_KEY_MASK = 0xfffe0c00 | 0;

/** True when the header's channel mode is mono. */
export function isMonoWord(word: number): boolean {
  return (word & 0xc0) === 0xc0;
}

/** True when two header words can belong to the same stream (same version, layer, rate, channel count). */
export function sameStream(a: number, b: number): boolean {
  return (a & STREAM_KEY_MASK) === (b & STREAM_KEY_MASK) && isMonoWord(a) === isMonoWord(b);
}

/** Decodes a header word, or returns null when it is not a valid MPEG audio header. */
export function decodeMp3Header(word: number): Mp3Header | null {
  const len = frameLengthOf(word);
  if (len === 0) return null;
  const mpegVersion = VERSION_BY_BITS[(word >>> 19) & 3] as MpegVersion;
  const layer = LAYER_BY_BITS[(word >>> 17) & 3] as MpegLayer;
  const channelMode = CHANNEL_MODES[(word >>> 6) & 3];
  return {
    mpegVersion,
    layer,
    crcProtected: ((word >>> 16) & 1) === 0,
    bitrateKbps: bitrateTable(mpegVersion, layer)[(word >>> 12) & 0xf],
    sampleRate: SAMPLE_RATES[mpegVersion][(word >>> 10) & 3],
    padding: ((word >>> 9) & 1) === 1,
    channelMode,
    modeExtension: (word >>> 4) & 3,
    copyright: ((word >>> 3) & 1) === 1,
    original: ((word >>> 2) & 1) === 1,
    emphasis: word & 3,
    channels: channelMode === 'mono' ? 1 : 2,
    samplesPerFrame: samplesPerFrameOf(mpegVersion, layer),
    frameLength: len > 0 ? len : 0,
  };
}

/** Layer III side-information length: 32/17 bytes (MPEG-1 stereo/mono), 17/9 (MPEG-2/2.5). */
export function sideInfoLength(version: MpegVersion, channels: 1 | 2): number {
  if (version === 1) return channels === 2 ? 32 : 17;
  return channels === 2 ? 17 : 9;
}

/**
 * Builds a header word from parameters (for tests and tools that synthesise frames).
 * Returns null when the combination does not exist in the tables.
 */
export function encodeMp3Header(p: {
  mpegVersion: MpegVersion;
  layer: MpegLayer;
  bitrateKbps: number;
  sampleRate: number;
  padding?: boolean;
  channelMode?: Mp3ChannelMode;
  crcProtected?: boolean;
}): number | null {
  const vBits = VERSION_BY_BITS.indexOf(p.mpegVersion);
  const lBits = LAYER_BY_BITS.indexOf(p.layer);
  const brIndex = bitrateTable(p.mpegVersion, p.layer).indexOf(p.bitrateKbps);
  const srIndex = SAMPLE_RATES[p.mpegVersion].indexOf(p.sampleRate);
  if (brIndex <= 0 || brIndex === 15 || srIndex < 0) return null;
  const mode = CHANNEL_MODES.indexOf(p.channelMode ?? 'stereo');
  return (
    (0x7ff << 21) |
    (vBits << 19) |
    (lBits << 17) |
    ((p.crcProtected ? 0 : 1) << 16) |
    (brIndex << 12) |
    (srIndex << 10) |
    ((p.padding ? 1 : 0) << 9) |
    (mode << 6)
  );
}
