// Metadata tags that live around (and sometimes between) MPEG audio frames, recognised from their
// first bytes so the parser can step over them without scanning their contents for sync words.
//
//  ID3v2   "ID3" ver rev flags size(4×7-bit syncsafe); total = 10 + size (+10 with a v2.4 footer).
//          Unsynchronisation does not change the declared size, so skipping never needs it.
//  ID3v1   "TAG" + 125 bytes (128 total), last thing in a file; "TAG+" enhanced (227 bytes) before it.
//  APE     "APETAGEX" 32-byte header and/or footer; size field counts items + footer, not the header.
//  Lyrics3 "LYRICSBEGIN" … "LYRICSEND" (v1) or … 6-digit size + "LYRICS200" (v2); before ID3v1.

/** Kinds of tag the parser recognises and skips. */
export type Mp3TagKind = 'id3v2' | 'id3v1' | 'id3v1-enhanced' | 'apev1' | 'apev2' | 'lyrics3v1' | 'lyrics3v2';

/** A tag that was skipped. */
export interface Mp3TagInfo {
  kind: Mp3TagKind;
  /** Byte offset of the tag's first byte in the input. */
  offset: number;
  /** Bytes the tag occupies (as skipped). */
  size: number;
  /** For ID3v2: "2.3", "2.4"…; for APE: "1.000" / "2.000". */
  version?: string;
  /** The tag claimed more bytes than the input had. */
  truncated?: boolean;
}

/** Result of looking for a tag at a position. */
export type TagProbe =
  | { kind: 'id3v2' | 'id3v1' | 'id3v1-enhanced'; size: number; version?: string }
  /** APE header: `size` covers the header, items and footer. APE footer: `size` is the footer's
   * 32 bytes and `tagStart` is where the items began (`tagSize` bytes before the footer's end). */
  | { kind: 'apev1' | 'apev2'; size: number; version: string; footer: boolean; tagSize: number }
  | { kind: 'lyrics3'; size: -1 };

/** More bytes are needed to decide. */
export const NEED_MORE = 1;
/** No tag starts here. */
export const NO_TAG = 0;

const ID3 = [0x49, 0x44, 0x33];
const TAG = [0x54, 0x41, 0x47];
const APETAGEX = [0x41, 0x50, 0x45, 0x54, 0x41, 0x47, 0x45, 0x58];
const LYRICSBEGIN = [0x4c, 0x59, 0x52, 0x49, 0x43, 0x53, 0x42, 0x45, 0x47, 0x49, 0x4e];

/** Longest look-ahead `probeTag` can ask for (an enhanced ID3v1 tag plus the "TAG" after it, or a strict ID3v1 check). */
export const MAX_TAG_PROBE = 227 + 3;

/**
 * Compares `sig` with the bytes at p. Returns 1 on a full match, 0 on a mismatch, and
 * NEED_MORE (as -1) when the available bytes match a proper prefix and more input may follow.
 */
function matchSig(buf: Uint8Array, p: number, n: number, sig: readonly number[]): 1 | 0 | -1 {
  for (let i = 0; i < sig.length; i++) {
    if (p + i >= n) return -1;
    if (buf[p + i] !== sig[i]) return 0;
  }
  return 1;
}

function readU32LE(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
}

/** ID3v2 header validation: version 2–4, revision not 0xFF, four syncsafe size bytes. */
function probeId3v2(buf: Uint8Array, p: number): TagProbe | typeof NO_TAG {
  const major = buf[p + 3];
  const rev = buf[p + 4];
  if (major < 2 || major > 4 || rev === 0xff) return NO_TAG;
  const s0 = buf[p + 6], s1 = buf[p + 7], s2 = buf[p + 8], s3 = buf[p + 9];
  if ((s0 | s1 | s2 | s3) & 0x80) return NO_TAG;
  const size = (s0 << 21) | (s1 << 14) | (s2 << 7) | s3;
  const footer = major === 4 && (buf[p + 5] & 0x10) !== 0;
  return { kind: 'id3v2', size: 10 + size + (footer ? 10 : 0), version: `2.${major}` };
}

/** APE tag header/footer validation: version 1000/2000, sane size, zero reserved bytes. */
function probeApe(buf: Uint8Array, p: number): TagProbe | typeof NO_TAG {
  const version = readU32LE(buf, p + 8);
  const tagSize = readU32LE(buf, p + 12);
  const flags = readU32LE(buf, p + 20);
  if (version !== 1000 && version !== 2000) return NO_TAG;
  if (tagSize < 32 || tagSize > 0x4000000) return NO_TAG;
  for (let i = 24; i < 32; i++) if (buf[p + i] !== 0) return NO_TAG;
  const kind = version === 1000 ? 'apev1' : 'apev2';
  const ver = version === 1000 ? '1.000' : '2.000';
  // APEv1 has no header, so its flags are zero and the block is always a footer.
  const isHeader = version === 2000 && (flags & 0x20000000) !== 0;
  const hasHeader = version === 2000 && (flags & 0x80000000) !== 0;
  if (isHeader) return { kind, size: 32 + tagSize, version: ver, footer: false, tagSize: 32 + tagSize };
  return { kind, size: 32, version: ver, footer: true, tagSize: tagSize + (hasHeader ? 32 : 0) };
}

/**
 * Looks for a tag starting exactly at `p` (bytes valid up to `n`). `final` says no more input
 * will follow `n`. Returns the tag, NO_TAG, or NEED_MORE when the bytes so far are a prefix of a
 * signature and more input may decide it.
 *
 * `strict` is for positions reached by scanning junk rather than at a frame boundary: then an
 * ID3v1 "TAG" only counts when the file ends right after its 128 bytes or an MPEG header / another
 * tag follows (so the letters "TAG" in junk are not mistaken for one).
 */
export function probeTag(
  buf: Uint8Array,
  p: number,
  n: number,
  final: boolean,
  strict: boolean,
  isHeaderAt?: (buf: Uint8Array, p: number, n: number) => boolean,
): TagProbe | typeof NO_TAG | typeof NEED_MORE {
  if (p >= n) return final ? NO_TAG : NEED_MORE;
  const b = buf[p];
  const need = (m: 1 | 0 | -1, len: number): boolean | typeof NEED_MORE => {
    if (m === 0) return false;
    if (m === -1 || p + len > n) return final ? false : NEED_MORE;
    return true;
  };
  if (b === 0x49) {
    const m = need(matchSig(buf, p, n, ID3), 10);
    if (m === NEED_MORE) return NEED_MORE;
    return m ? probeId3v2(buf, p) : NO_TAG;
  }
  if (b === 0x41) {
    const m = need(matchSig(buf, p, n, APETAGEX), 32);
    if (m === NEED_MORE) return NEED_MORE;
    return m ? probeApe(buf, p) : NO_TAG;
  }
  if (b === 0x4c) {
    const m = need(matchSig(buf, p, n, LYRICSBEGIN), 11);
    if (m === NEED_MORE) return NEED_MORE;
    return m ? { kind: 'lyrics3', size: -1 } : NO_TAG;
  }
  if (b === 0x54) {
    const m = need(matchSig(buf, p, n, TAG), 4);
    if (m === NEED_MORE) return NEED_MORE;
    if (!m) {
      // Exactly "TAG" and nothing else at the very end: a cut ID3v1 tag. Only at a boundary.
      if (final && !strict && matchSig(buf, p, n, TAG) === 1) return { kind: 'id3v1', size: n - p };
      return NO_TAG;
    }
    if (buf[p + 3] === 0x2b && !strict) {
      // "TAG+" enhanced tag: 227 bytes, then the ordinary ID3v1 tag.
      const e = need(matchSig(buf, p + 227, n, TAG), 230);
      if (e === NEED_MORE) return NEED_MORE;
      if (e) return { kind: 'id3v1-enhanced', size: 227 };
    }
    if (!strict) return { kind: 'id3v1', size: 128 };
    const end = p + 128;
    if (end > n) return final ? NO_TAG : NEED_MORE;
    if (end === n) return final ? { kind: 'id3v1', size: 128 } : NEED_MORE;
    if (end + 4 > n && !final) return NEED_MORE;
    if (isHeaderAt && end + 4 <= n && isHeaderAt(buf, end, n)) return { kind: 'id3v1', size: 128 };
    const next = probeTag(buf, end, n, final, false);
    if (next === NEED_MORE) return NEED_MORE;
    if (next !== NO_TAG && next.kind !== 'id3v1') return { kind: 'id3v1', size: 128 };
    return NO_TAG;
  }
  return NO_TAG;
}

/** Bytes of "LYRICSEND" / "LYRICS200". */
export const LYRICS_END_V1 = [0x4c, 0x59, 0x52, 0x49, 0x43, 0x53, 0x45, 0x4e, 0x44];
export const LYRICS_END_V2 = [0x4c, 0x59, 0x52, 0x49, 0x43, 0x53, 0x32, 0x30, 0x30];
/** Lyrics3 v1 holds at most 5100 bytes of lyrics; v2's 6-digit size caps it below 1 MB. */
export const LYRICS3_V1_MAX = 11 + 5100 + 9;
export const LYRICS3_V2_MAX = 999999 + 6 + 9;

/**
 * Scans for the end of a Lyrics3 tag that began ("LYRICSBEGIN") at absolute offset `start`.
 * Checks end signatures starting at buf[from..]; `base` is the absolute offset of buf[0].
 * Returns the absolute end offset of the tag and its version, or null if none starts in
 * [from, n - 9] (callers keep the last bytes and call again with more input).
 * A v2 end only counts when the 6 ASCII digits before it equal the tag's size up to them.
 */
export function findLyrics3End(
  buf: Uint8Array,
  from: number,
  n: number,
  base: number,
  start: number,
): { end: number; kind: 'lyrics3v1' | 'lyrics3v2' } | null {
  for (let i = buf.indexOf(0x4c, from); i >= 0 && i + 9 <= n; i = buf.indexOf(0x4c, i + 1)) {
    if (buf[i + 1] !== 0x59 || buf[i + 5] !== 0x53) continue;
    if (matchSig(buf, i, n, LYRICS_END_V1) === 1) {
      if (base + i + 9 - start <= LYRICS3_V1_MAX) return { end: base + i + 9, kind: 'lyrics3v1' };
    } else if (matchSig(buf, i, n, LYRICS_END_V2) === 1 && i >= 6) {
      let size = 0;
      let ok = true;
      for (let k = i - 6; k < i; k++) {
        const d = buf[k] - 0x30;
        if (d < 0 || d > 9) { ok = false; break; }
        size = size * 10 + d;
      }
      if (ok && base + i - 6 - start === size) return { end: base + i + 9, kind: 'lyrics3v2' };
    }
  }
  return null;
}

/**
 * Checks for an APEv2 item at p (used after the last frame, where a tag written without a header
 * begins directly with its items): value size (u32 LE, < 16 MiB), flags (u32 LE, only read-only
 * and a non-reserved type), a key of 2–255 printable ASCII bytes, NUL. Returns the item's total
 * length, 0 when no item starts here, or -1 when more bytes are needed.
 */
export function probeApeItem(buf: Uint8Array, p: number, n: number, final: boolean): number {
  if (p + 8 > n) return final ? 0 : -1;
  const valueSize = readU32LE(buf, p);
  const flags = readU32LE(buf, p + 4);
  if (valueSize > 0x1000000 || (flags & ~7) !== 0 || ((flags >> 1) & 3) === 3) return 0;
  for (let k = 0; k < 256; k++) {
    const i = p + 8 + k;
    if (i >= n) return final ? 0 : -1;
    const c = buf[i];
    if (c === 0) return k >= 2 ? 8 + k + 1 + valueSize : 0;
    if (c < 0x20 || c > 0x7e) return 0;
  }
  return 0;
}
