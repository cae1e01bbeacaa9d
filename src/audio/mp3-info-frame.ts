// The header frame some encoders put first: a valid (silent) Layer III frame carrying a Xing/Info
// or VBRI table instead of audio, and, after Xing/Info, LAME's tag with the gapless numbers.
// Decoders skip that frame, so the parser leaves it out of the frame list.

import { type Mp3Header, sideInfoLength } from './mp3-header.js';

/** LAME's extension of the Xing/Info header (36 bytes after the Xing fields). */
export interface Mp3LameTag {
  /** The 9-byte encoder string, e.g. "LAME3.100" or "Lavc58.42" (trailing NULs/spaces removed). */
  encoder: string;
  /** Info tag revision (high nibble of byte 9). */
  revision: number;
  /** VBR method (low nibble of byte 9): 1 CBR, 2 ABR, 3–6 VBR, 8 CBR two-pass, 9 ABR two-pass. */
  vbrMethod: number;
  /** Lowpass filter in Hz (stored /100), 0 when unknown. */
  lowpassHz: number;
  /** Samples the encoder inserted before the audio (12 bits). */
  encoderDelay: number;
  /** Samples appended after the audio to fill the last frame (12 bits). */
  padding: number;
  /** ABR target or minimal bitrate in kbit/s (255 means 255 or more), 0 when unknown. */
  bitrateKbps: number;
  /** Bytes of the music per the tag, or 0 when not written. */
  musicLength: number;
  /** True when the tag's own CRC-16 (over the frame's bytes before it) matches. */
  crcValid: boolean;
}

/** The Xing/Info or VBRI header frame. */
export interface Mp3InfoFrame {
  /** 'xing' (VBR/ABR), 'info' (CBR; same layout as Xing) or 'vbri' (Fraunhofer). */
  kind: 'xing' | 'info' | 'vbri';
  /** Byte offset and size of the header frame in the input. */
  offset: number;
  size: number;
  /** Frame count the header declares (usually excluding the header frame itself), or null. */
  frames: number | null;
  /** Stream byte count the header declares, or null. */
  bytes: number | null;
  /** A seek table is present. */
  hasToc: boolean;
  /** Xing quality indicator (0 best … 100), or null. */
  quality: number | null;
  /** LAME tag, when one is present and recognised. */
  lame: Mp3LameTag | null;
}

const XING = 0x58696e67; // "Xing"
const INFO = 0x496e666f; // "Info"
const VBRI = 0x56425249; // "VBRI"

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
function u16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

/** CRC-16/ARC (polynomial 0x8005 reflected, initial 0), the checksum LAME stores in its tag. */
export function crc16Arc(data: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= data[i];
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

// Encoder strings whose tag FFmpeg's mp3 demuxer trusts for gapless trimming.
const KNOWN_ENCODERS = ['LAME', 'Lavf', 'Lavc'];

function parseLameTag(frame: Uint8Array, p: number): Mp3LameTag | null {
  if (p + 36 > frame.length) return null;
  let encoder = '';
  for (let i = 0; i < 9; i++) {
    const c = frame[p + i];
    if (c === 0) break;
    encoder += String.fromCharCode(c);
  }
  encoder = encoder.trimEnd();
  const crcValid = crc16Arc(frame, 0, p + 34) === u16(frame, p + 34);
  const known = KNOWN_ENCODERS.some((k) => encoder.startsWith(k));
  // Old Xing encoders leave zeros here; accept the block only when it names a LAME-compatible
  // encoder or its checksum proves it is a LAME tag.
  if (!known && !crcValid) return null;
  const delayPad = (frame[p + 21] << 16) | (frame[p + 22] << 8) | frame[p + 23];
  return {
    encoder,
    revision: frame[p + 9] >> 4,
    vbrMethod: frame[p + 9] & 15,
    lowpassHz: frame[p + 10] * 100,
    encoderDelay: delayPad >>> 12,
    padding: delayPad & 0xfff,
    bitrateKbps: frame[p + 20],
    musicLength: u32(frame, p + 28),
    crcValid,
  };
}

/**
 * Reads a Xing/Info or VBRI header from a complete Layer III frame. Returns null when the frame
 * is an ordinary audio frame. `offset` is the frame's offset in the input, copied into the result.
 */
export function parseInfoFrame(frame: Uint8Array, header: Mp3Header, offset: number): Mp3InfoFrame | null {
  if (header.layer !== 3) return null;
  const side = 4 + sideInfoLength(header.mpegVersion, header.channels);
  // The Xing offset is defined without the CRC; some writers shift it by the 2 CRC bytes.
  const candidates = header.crcProtected ? [side, side + 2] : [side];
  for (const x of candidates) {
    if (x + 8 > frame.length) continue;
    const id = u32(frame, x);
    if (id !== XING && id !== INFO) continue;
    const flags = u32(frame, x + 4);
    let p = x + 8;
    const need = 8 + (flags & 1 ? 4 : 0) + (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
    if (x + need > frame.length) continue;
    let frames: number | null = null;
    let bytes: number | null = null;
    let quality: number | null = null;
    if (flags & 1) { frames = u32(frame, p); p += 4; }
    if (flags & 2) { bytes = u32(frame, p); p += 4; }
    if (flags & 4) p += 100;
    if (flags & 8) { quality = u32(frame, p); p += 4; }
    return {
      kind: id === XING ? 'xing' : 'info',
      offset,
      size: frame.length,
      frames,
      bytes,
      hasToc: (flags & 4) !== 0,
      quality,
      lame: parseLameTag(frame, p),
    };
  }
  const v = 4 + 32;
  if (v + 26 <= frame.length && u32(frame, v) === VBRI) {
    return {
      kind: 'vbri',
      offset,
      size: frame.length,
      bytes: u32(frame, v + 10),
      frames: u32(frame, v + 14),
      hasToc: u16(frame, v + 18) > 0,
      quality: u16(frame, v + 8),
      lame: null,
    };
  }
  return null;
}
