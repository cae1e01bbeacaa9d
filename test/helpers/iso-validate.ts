// Independent structural validator for ISO-BMFF (MP4) files, written against ISO/IEC 14496-12
// (boxes, sample tables, fragments), 14496-14 (esds) and 14496-15 (avcC, length-prefixed NAL units).
// Test code only: it deliberately shares nothing with src/ and does not use mp4box, so a bug in
// our muxer cannot be mirrored by the checker. Reads with DataView; never throws on bad input.
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// Public types

export interface BoxNode {
  type: string;
  /** Slash path from the file root, e.g. `moov/trak[2]/mdia/minf/stbl/stsz`. Indices are 1-based. */
  path: string;
  /** File offset of the box header. */
  offset: number;
  /** Declared size, clamped to the parent when it overruns (the overrun is reported). */
  size: number;
  /** 8, 16 with a 64-bit largesize, +16 for `uuid`. */
  headerSize: number;
  children: BoxNode[];
}

export interface EditEntry {
  /** In mvhd timescale. */
  segmentDuration: number;
  /** In media (mdhd) timescale; -1 = empty edit. */
  mediaTime: number;
  mediaRate: number;
}

export interface AvcConfig {
  profile: number;
  compatibility: number;
  level: number;
  /** NAL length-prefix size in bytes (lengthSizeMinusOne + 1). */
  lengthSize: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** Width/height from the avc1 sample entry. */
  width: number;
  height: number;
}

/** bufferSizeDB, maxBitrate and avgBitrate, as a `btrt` box or an esds DecoderConfigDescriptor carries them. */
export interface Bitrates {
  bufferSize: number;
  max: number;
  avg: number;
}

export interface AudioConfig {
  channelCount: number;
  sampleSize: number;
  sampleRate: number;
  /** From esds DecoderConfigDescriptor; null when esds is missing or unreadable. */
  objectTypeIndication: number | null;
  /** The whole streamType/upStream/reserved byte (0x15 for audio). */
  streamTypeByte: number | null;
  decoderSpecificInfo: Uint8Array | null;
  /** From the esds DecoderConfigDescriptor; null when esds is missing or unreadable. */
  bitrates: Bitrates | null;
}

export interface TrackTables {
  trackId: number;
  /** hdlr handler_type: 'vide' | 'soun' for our files. */
  handler: string;
  /** Four-cc of the first stsd entry ('avc1', 'mp4a', ...), '' when absent. */
  sampleEntry: string;
  timescale: number;
  mdhdDuration: number;
  /** In mvhd timescale. */
  tkhdDuration: number;
  /** tkhd volume, 8.8 fixed point: 0x0100 for a sound track, 0 for video (ISO/IEC 14496-12 8.3.2). */
  volume: number;
  /** All samples: moov tables followed by fragment samples. */
  sampleCount: number;
  /** How many of `sampleCount` come from movie fragments (trun). */
  fragmentSampleCount: number;
  sizes: number[];
  /** 1-based sync sample numbers; null when moov has no stss and there are no fragment samples (all sync). */
  syncSamples: number[] | null;
  /** Decode duration of each sample (stts expanded, then trun/tfhd/trex durations). */
  decodeDeltas: number[];
  /** ctts / trun composition offsets per sample, null when none are given. */
  compositionOffsets: number[] | null;
  /** stco/co64 entries. */
  chunkOffsets: number[];
  /** Per chunk (stsc expanded over all chunks). */
  samplesPerChunk: number[];
  /** Absolute file offset of each sample. */
  sampleOffsets: number[];
  edits: EditEntry[] | null;
  avc: AvcConfig | null;
  audio: AudioConfig | null;
  /** The sample entry's `btrt` box, when there is one. */
  btrt: Bitrates | null;
}

export interface IsoReport {
  boxes: BoxNode[];
  tracks: TrackTables[];
  fragmented: boolean;
  errors: string[];
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Byte reading with bounds: every read past the end of the current box throws BoxError, which
// the per-box wrapper turns into one error naming the box.

class BoxError extends Error {}

class Reader {
  pos: number;
  constructor(private readonly view: DataView, start: number, readonly end: number) {
    this.pos = start;
  }
  get left(): number {
    return this.end - this.pos;
  }
  need(n: number): void {
    if (n > this.end - this.pos) throw new BoxError(`truncated: needs ${n} byte(s) at offset ${this.pos}, only ${Math.max(0, this.end - this.pos)} left`);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = (this.view.getUint8(this.pos) << 16) | this.view.getUint16(this.pos + 1);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** 64-bit values as numbers; exact up to 2^53, which covers any real offset or duration. */
  u64(): number {
    this.need(8);
    const v = this.view.getUint32(this.pos) * 2 ** 32 + this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return v;
  }
  i64(): number {
    this.need(8);
    const v = this.view.getInt32(this.pos) * 2 ** 32 + this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return v;
  }
  fourcc(): string {
    this.need(4);
    const s = fourccAt(this.view, this.pos);
    this.pos += 4;
    return s;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = new Uint8Array(this.view.buffer, this.view.byteOffset + this.pos, n);
    this.pos += n;
    return b;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** Throws before a loop would read `count` entries of `entrySize` bytes past the box end. */
  entries(count: number, entrySize: number, what: string): void {
    if (count * entrySize > this.left) {
      throw new BoxError(`${what} ${count} needs ${count * entrySize} bytes of entries, box has ${this.left}`);
    }
  }
}

function fourccAt(view: DataView, pos: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = view.getUint8(pos + i);
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0xa9 ? '©' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function plausibleType(view: DataView, pos: number): boolean {
  for (let i = 0; i < 4; i++) {
    const c = view.getUint8(pos + i);
    if (!((c >= 0x20 && c < 0x7f) || c === 0xa9)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Box tree

const PLAIN_CONTAINERS = new Set([
  'moov', 'trak', 'mdia', 'minf', 'stbl', 'dinf', 'edts', 'mvex', 'moof', 'traf', 'udta', 'mfra', 'tref', 'ilst', 'sinf', 'schi',
]);
const VISUAL_ENTRIES = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'mp4v', 'vp08', 'vp09', 'av01', 'encv']);
const AUDIO_ENTRIES = new Set(['mp4a', '.mp3', 'ac-3', 'ec-3', 'Opus', 'fLaC', 'alac', 'enca']);
/** Boxes indexed in paths even when alone, so messages name them the same way in every file. */
const ALWAYS_INDEXED = new Set(['trak', 'moof', 'traf', 'trun', 'mdat']);
const MAX_DEPTH = 24;

interface Ctx {
  view: DataView;
  bytes: Uint8Array;
  errors: string[];
  warnings: string[];
}

function err(ctx: Ctx, path: string, msg: string): void {
  ctx.errors.push(`${path}: ${msg}`);
}
function warn(ctx: Ctx, path: string, msg: string): void {
  ctx.warnings.push(`${path}: ${msg}`);
}

/**
 * Where child boxes start inside a box's payload, or null for a leaf. Sample entries have fixed
 * fields before their child boxes (14496-12 §12.1.3 VisualSampleEntry, §12.2.3 AudioSampleEntry).
 */
function childrenStart(ctx: Ctx, type: string, parentType: string, payload: number, end: number): number | null {
  const v = ctx.view;
  if (PLAIN_CONTAINERS.has(type)) return payload;
  if (parentType === 'ilst') return payload; // metadata items hold 'data'/'mean'/'name' boxes
  if (type === 'meta') {
    // ISO meta is a FullBox; QuickTime's is a plain container (its first word is a child size).
    if (end - payload >= 4 && v.getUint32(payload) !== 0) return payload;
    return payload + 4;
  }
  if (type === 'stsd' || type === 'dref') return payload + 8;
  if (parentType === 'stsd') {
    if (VISUAL_ENTRIES.has(type)) return payload + 78;
    if (AUDIO_ENTRIES.has(type)) {
      // QuickTime sound description versions 1/2 extend the fixed part.
      const version = end - payload >= 10 ? v.getUint16(payload + 8) : 0;
      return payload + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
    }
  }
  return null;
}

interface RawBox {
  type: string;
  offset: number;
  size: number;
  header: number;
  overrun: number;
  tooSmall: boolean;
}

function parseLevel(ctx: Ctx, start: number, end: number, parent: BoxNode | null, depth: number): BoxNode[] {
  const v = ctx.view;
  const isTop = parent === null;
  const parentPath = parent ? parent.path : '';
  const where = parent ? parentPath : 'file';
  const raw: RawBox[] = [];
  let pos = start;
  while (pos < end) {
    const remain = end - pos;
    if (remain < 8) {
      const zeros = Array.from(ctx.bytes.subarray(pos, end)).every((b) => b === 0);
      if (isTop) warn(ctx, 'file', `${remain} trailing byte(s) after the last top-level box at offset ${pos}`);
      else if (parent.type === 'udta' && remain === 4 && zeros) warn(ctx, where, '4-byte zero terminator after children (QuickTime style)');
      else err(ctx, where, `${remain} byte(s) left at offset ${pos} after the last child: children do not exactly fill the box`);
      break;
    }
    let size = v.getUint32(pos);
    const type = fourccAt(v, pos + 4);
    if (!plausibleType(v, pos + 4)) {
      err(ctx, where, `implausible box type '${type}' at offset ${pos} (size ${size}); preceding box sizes are probably wrong`);
      break;
    }
    let header = 8;
    if (size === 1) {
      if (remain < 16) {
        err(ctx, `${where}/${type}`, `largesize box at offset ${pos} has no room for its 64-bit size`);
        break;
      }
      size = v.getUint32(pos + 8) * 2 ** 32 + v.getUint32(pos + 12);
      header = 16;
    } else if (size === 0) {
      if (!isTop) err(ctx, `${where}/${type}`, 'size 0 (to end of file) is only allowed for a top-level box');
      size = end - pos;
    }
    if (type === 'uuid') header += 16;
    const tooSmall = size < header;
    const overrun = tooSmall ? 0 : Math.max(0, pos + size - end);
    raw.push({ type, offset: pos, size: tooSmall ? remain : size - overrun, header, overrun, tooSmall });
    if (tooSmall) break;
    pos += size - overrun;
  }

  const counts = new Map<string, number>();
  for (const r of raw) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const seen = new Map<string, number>();
  const nodes: BoxNode[] = [];
  for (const r of raw) {
    const n = (seen.get(r.type) ?? 0) + 1;
    seen.set(r.type, n);
    const name = ALWAYS_INDEXED.has(r.type) || (counts.get(r.type) ?? 0) > 1 ? `${r.type}[${n}]` : r.type;
    const path = parent ? `${parentPath}/${name}` : name;
    const node: BoxNode = { type: r.type, path, offset: r.offset, size: r.size, headerSize: r.header, children: [] };
    nodes.push(node);
    if (r.tooSmall) {
      err(ctx, path, `size ${v.getUint32(r.offset)} at offset ${r.offset} is smaller than its ${r.header}-byte header`);
      continue;
    }
    if (r.overrun > 0) {
      err(ctx, path, `size ${r.size + r.overrun} at offset ${r.offset} extends ${r.overrun} byte(s) past the end of ${isTop ? 'the file' : parentPath}`);
    }
    const payload = r.offset + r.header;
    const boxEnd = r.offset + r.size;
    const cs = childrenStart(ctx, r.type, parent ? parent.type : '', payload, boxEnd);
    if (cs !== null) {
      if (cs > boxEnd) {
        err(ctx, path, `box of ${r.size} bytes is too small for its ${cs - r.offset}-byte fixed part`);
      } else if (depth >= MAX_DEPTH) {
        err(ctx, path, 'boxes nested too deeply');
      } else {
        node.children = parseLevel(ctx, cs, boxEnd, node, depth + 1);
      }
    }
  }
  return nodes;
}

function child(node: BoxNode | undefined, type: string): BoxNode | undefined {
  return node?.children.find((c) => c.type === type);
}
function childrenOf(node: BoxNode | undefined, type: string): BoxNode[] {
  return node ? node.children.filter((c) => c.type === type) : [];
}
function at(node: BoxNode | undefined, path: string): BoxNode | undefined {
  let n = node;
  for (const t of path.split('/')) n = child(n, t);
  return n;
}

/** Runs a box parser; a BoxError (short read, bad version, bad count) becomes one error naming the box, never an exception. */
function parseBox<T>(ctx: Ctx, box: BoxNode, fn: (r: Reader) => T): T | null {
  const r = new Reader(ctx.view, box.offset + box.headerSize, box.offset + box.size);
  try {
    return fn(r);
  } catch (e) {
    if (e instanceof BoxError) err(ctx, box.path, e.message);
    else err(ctx, box.path, `validator could not parse box: ${(e as Error).message}`);
    return null;
  }
}

/** Reads a FullBox header; an unknown version stops the box's parse with an error. */
function fullBox(r: Reader, versions: number[]): { version: number; flags: number } {
  const version = r.u8();
  const flags = r.u24();
  if (!versions.includes(version)) throw new BoxError(`unsupported version ${version} (expected ${versions.join(' or ')})`);
  return { version, flags };
}

// ---------------------------------------------------------------------------------------------
// Individual box parsers

function readMvhd(ctx: Ctx, box: BoxNode) {
  return parseBox(ctx, box, (r) => {
    const { version, flags } = fullBox(r, [0, 1]);
    if (flags !== 0) warn(ctx, box.path, `flags 0x${flags.toString(16)} (expected 0)`);
    if (version === 1) r.skip(16);
    else r.skip(8);
    const timescale = r.u32();
    const duration = version === 1 ? r.u64() : r.u32();
    r.skip(4 + 2 + 10 + 36 + 24);
    const nextTrackId = r.u32();
    if (timescale === 0) err(ctx, box.path, 'timescale is 0');
    if (r.left !== 0) warn(ctx, box.path, `${r.left} unexpected trailing byte(s)`);
    return { timescale, duration, nextTrackId };
  });
}

function readTkhd(ctx: Ctx, box: BoxNode) {
  return parseBox(ctx, box, (r) => {
    const { version, flags } = fullBox(r, [0, 1]);
    if (version === 1) r.skip(16);
    else r.skip(8);
    const trackId = r.u32();
    r.skip(4);
    const duration = version === 1 ? r.u64() : r.u32();
    r.skip(8 + 2 + 2);
    const volume = r.u16();
    r.skip(2 + 36);
    const width = r.u32() / 65536;
    const height = r.u32() / 65536;
    if ((flags & 1) === 0) warn(ctx, box.path, `flags 0x${flags.toString(16)}: track_enabled not set`);
    if (r.left !== 0) warn(ctx, box.path, `${r.left} unexpected trailing byte(s)`);
    return { trackId, duration, volume, width, height, flags };
  });
}

function readMdhd(ctx: Ctx, box: BoxNode) {
  return parseBox(ctx, box, (r) => {
    const { version, flags } = fullBox(r, [0, 1]);
    if (flags !== 0) warn(ctx, box.path, `flags 0x${flags.toString(16)} (expected 0)`);
    if (version === 1) r.skip(16);
    else r.skip(8);
    const timescale = r.u32();
    const duration = version === 1 ? r.u64() : r.u32();
    r.skip(4);
    if (timescale === 0) err(ctx, box.path, 'timescale is 0');
    return { timescale, duration };
  });
}

function readHdlr(ctx: Ctx, box: BoxNode) {
  return parseBox(ctx, box, (r) => {
    fullBox(r, [0]);
    r.skip(4);
    const handler = r.fourcc();
    r.skip(12);
    return handler;
  });
}

function readElst(ctx: Ctx, box: BoxNode): EditEntry[] | null {
  return parseBox(ctx, box, (r) => {
    const { version } = fullBox(r, [0, 1]);
    const count = r.u32();
    r.entries(count, version === 1 ? 20 : 12, 'entry_count');
    const out: EditEntry[] = [];
    for (let i = 0; i < count; i++) {
      const segmentDuration = version === 1 ? r.u64() : r.u32();
      const mediaTime = version === 1 ? r.i64() : r.i32();
      const mediaRate = r.i16() + r.u16() / 65536;
      out.push({ segmentDuration, mediaTime, mediaRate });
    }
    if (r.left !== 0) err(ctx, box.path, `${r.left} byte(s) after ${count} entries`);
    return out;
  });
}

/** Reads `count` fixed-size entries after a version-0 FullBox header + entry_count. */
function readTable(ctx: Ctx, box: BoxNode, fields: number, versions = [0]): { version: number; rows: number[][] } | null {
  return parseBox(ctx, box, (r) => {
    const { version } = fullBox(r, versions);
    const count = r.u32();
    r.entries(count, fields * 4, 'entry_count');
    const rows: number[][] = [];
    for (let i = 0; i < count; i++) {
      const row: number[] = [];
      for (let f = 0; f < fields; f++) row.push(r.u32());
      rows.push(row);
    }
    if (r.left !== 0) err(ctx, box.path, `${r.left} byte(s) after ${count} entries`);
    return { version, rows };
  });
}

function readStsz(ctx: Ctx, box: BoxNode): number[] | null {
  return parseBox(ctx, box, (r) => {
    fullBox(r, [0]);
    const sampleSize = r.u32();
    const count = r.u32();
    if (sampleSize !== 0) {
      if (r.left !== 0) err(ctx, box.path, `${r.left} byte(s) after the header of a constant-size stsz`);
      if (count > 50_000_000) throw new BoxError(`sample_count ${count} is implausible`);
      return new Array<number>(count).fill(sampleSize);
    }
    r.entries(count, 4, 'sample_count');
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) sizes.push(r.u32());
    if (r.left !== 0) err(ctx, box.path, `sample_count ${count} but ${r.left} byte(s) follow the ${count} entries`);
    return sizes;
  });
}

function readStz2(ctx: Ctx, box: BoxNode): number[] | null {
  return parseBox(ctx, box, (r) => {
    fullBox(r, [0]);
    r.skip(3);
    const fieldSize = r.u8();
    const count = r.u32();
    if (fieldSize !== 4 && fieldSize !== 8 && fieldSize !== 16) throw new BoxError(`field_size ${fieldSize} (expected 4, 8 or 16)`);
    r.entries(Math.ceil((count * fieldSize) / 8), 1, 'sample_count bytes');
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      if (fieldSize === 16) sizes.push(r.u16());
      else if (fieldSize === 8) sizes.push(r.u8());
      else if (i % 2 === 0) {
        const b = r.u8();
        sizes.push(b >> 4);
        if (i + 1 < count) sizes.push(b & 15);
      }
    }
    return sizes.slice(0, count);
  });
}

function readCo64(ctx: Ctx, box: BoxNode): number[] | null {
  return parseBox(ctx, box, (r) => {
    fullBox(r, [0]);
    const count = r.u32();
    r.entries(count, 8, 'entry_count');
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(r.u64());
    if (r.left !== 0) err(ctx, box.path, `${r.left} byte(s) after ${count} entries`);
    return out;
  });
}

function readCtts(ctx: Ctx, box: BoxNode): Array<[number, number]> | null {
  return parseBox(ctx, box, (r) => {
    const { version } = fullBox(r, [0, 1]);
    const count = r.u32();
    r.entries(count, 8, 'entry_count');
    const out: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) out.push([r.u32(), version === 1 ? r.i32() : r.u32()]);
    if (r.left !== 0) err(ctx, box.path, `${r.left} byte(s) after ${count} entries`);
    return out;
  });
}

function readStss(ctx: Ctx, box: BoxNode): number[] | null {
  const t = readTable(ctx, box, 1);
  return t ? t.rows.map((row) => row[0]) : null;
}

// ---------------------------------------------------------------------------------------------
// Sample entries

function readVisualEntry(ctx: Ctx, entry: BoxNode): { width: number; height: number; dataRefIndex: number } | null {
  return parseBox(ctx, entry, (r) => {
    r.skip(6);
    const dataRefIndex = r.u16();
    r.skip(16);
    const width = r.u16();
    const height = r.u16();
    r.skip(4 + 4 + 4);
    const frameCount = r.u16();
    r.skip(32);
    const depth = r.u16();
    r.skip(2);
    if (frameCount !== 1) warn(ctx, entry.path, `frame_count ${frameCount} (expected 1)`);
    if (depth !== 0x18) warn(ctx, entry.path, `depth 0x${depth.toString(16)} (expected 0x18)`);
    return { width, height, dataRefIndex };
  });
}

function readAudioEntry(ctx: Ctx, entry: BoxNode): { channelCount: number; sampleSize: number; sampleRate: number; dataRefIndex: number } | null {
  return parseBox(ctx, entry, (r) => {
    r.skip(6);
    const dataRefIndex = r.u16();
    r.skip(8);
    const channelCount = r.u16();
    const sampleSize = r.u16();
    r.skip(4);
    const sampleRate = r.u32() / 65536;
    return { channelCount, sampleSize, sampleRate, dataRefIndex };
  });
}

function readAvcC(ctx: Ctx, box: BoxNode): Omit<AvcConfig, 'width' | 'height'> | null {
  return parseBox(ctx, box, (r) => {
    const version = r.u8();
    if (version !== 1) err(ctx, box.path, `configurationVersion ${version} (expected 1)`);
    const profile = r.u8();
    const compatibility = r.u8();
    const level = r.u8();
    const lb = r.u8();
    if ((lb & 0xfc) !== 0xfc) warn(ctx, box.path, `reserved bits before lengthSizeMinusOne are 0x${(lb >> 2).toString(16)} (expected all ones)`);
    const lengthSize = (lb & 3) + 1;
    if (lengthSize === 3) err(ctx, box.path, 'lengthSizeMinusOne 2 is not allowed (1, 2 or 4 byte lengths only)');
    else if (lengthSize !== 4) warn(ctx, box.path, `lengthSizeMinusOne ${lengthSize - 1} (expected 3)`);
    const nsps = r.u8();
    if ((nsps & 0xe0) !== 0xe0) warn(ctx, box.path, 'reserved bits before numOfSequenceParameterSets are not all ones');
    const sps: Uint8Array[] = [];
    for (let i = 0; i < (nsps & 0x1f); i++) sps.push(r.bytes(r.u16()));
    const npps = r.u8();
    const pps: Uint8Array[] = [];
    for (let i = 0; i < npps; i++) pps.push(r.bytes(r.u16()));
    if (sps.length === 0) err(ctx, box.path, 'no SPS');
    if (pps.length === 0) err(ctx, box.path, 'no PPS');
    sps.forEach((s, i) => {
      if (s.length < 4) err(ctx, box.path, `SPS ${i} is ${s.length} bytes (too short)`);
      else {
        if ((s[0] & 0x1f) !== 7) err(ctx, box.path, `SPS ${i} has NAL type ${s[0] & 0x1f} (expected 7)`);
        if (s[1] !== profile) err(ctx, box.path, `AVCProfileIndication ${profile} != SPS ${i} profile_idc ${s[1]}`);
        if (s[3] !== level) warn(ctx, box.path, `AVCLevelIndication ${level} != SPS ${i} level_idc ${s[3]}`);
      }
    });
    pps.forEach((p, i) => {
      if (p.length < 1 || (p[0] & 0x1f) !== 8) err(ctx, box.path, `PPS ${i} has NAL type ${p.length ? p[0] & 0x1f : 'none'} (expected 8)`);
    });
    // High profiles may carry chroma/bit-depth extension fields; others should end here.
    if (r.left > 0 && ![100, 110, 122, 144].includes(profile)) warn(ctx, box.path, `${r.left} trailing byte(s) after the PPS list`);
    return { profile, compatibility, level, lengthSize, sps, pps };
  });
}

/** Expandable-size class descriptor header (14496-1 §8.3.3). */
function readDescriptorHeader(r: Reader): { tag: number; size: number } {
  const tag = r.u8();
  let size = 0;
  for (let i = 0; i < 4; i++) {
    const b = r.u8();
    size = size * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return { tag, size };
  }
  throw new BoxError(`descriptor tag 0x${tag.toString(16)} has a size field longer than 4 bytes`);
}

function readEsds(ctx: Ctx, box: BoxNode): { oti: number; streamTypeByte: number; dsi: Uint8Array | null; bitrates: Bitrates | null } | null {
  return parseBox(ctx, box, (r) => {
    fullBox(r, [0]);
    const es = readDescriptorHeader(r);
    if (es.tag !== 0x03) throw new BoxError(`first descriptor has tag 0x${es.tag.toString(16)} (expected ES_Descriptor 0x03)`);
    if (es.size > r.left) throw new BoxError(`ES_Descriptor size ${es.size} exceeds the ${r.left} byte(s) left in esds`);
    const esEnd = r.pos + es.size;
    r.skip(2); // ES_ID
    const esFlags = r.u8();
    if (esFlags & 0x80) r.skip(2);
    if (esFlags & 0x40) r.skip(r.u8());
    if (esFlags & 0x20) r.skip(2);
    let oti: number | null = null;
    let streamTypeByte = 0;
    let dsi: Uint8Array | null = null;
    let bitrates: Bitrates | null = null;
    let sawSl = false;
    while (r.pos < esEnd) {
      const d = readDescriptorHeader(r);
      if (r.pos + d.size > esEnd) throw new BoxError(`descriptor 0x${d.tag.toString(16)} of ${d.size} bytes overruns its ES_Descriptor`);
      const dEnd = r.pos + d.size;
      if (d.tag === 0x04) {
        oti = r.u8();
        streamTypeByte = r.u8();
        bitrates = { bufferSize: r.u24(), max: r.u32(), avg: r.u32() };
        while (r.pos < dEnd) {
          const s = readDescriptorHeader(r);
          if (r.pos + s.size > dEnd) throw new BoxError(`descriptor 0x${s.tag.toString(16)} overruns its DecoderConfigDescriptor`);
          if (s.tag === 0x05) dsi = r.bytes(s.size);
          else r.skip(s.size);
        }
      } else if (d.tag === 0x06) {
        sawSl = true;
      }
      r.pos = dEnd;
    }
    if (oti === null) throw new BoxError('no DecoderConfigDescriptor (tag 0x04) inside the ES_Descriptor');
    if (!sawSl) warn(ctx, box.path, 'no SLConfigDescriptor (tag 0x06)');
    if (r.pos !== r.end) warn(ctx, box.path, `${r.end - r.pos} byte(s) after the ES_Descriptor`);
    return { oti, streamTypeByte, dsi, bitrates };
  });
}

// ---------------------------------------------------------------------------------------------
// Per-track analysis

interface TrackState {
  t: TrackTables;
  trakPath: string;
  stblPath: string;
  /** stco or co64 path: chunk offsets are what place moov samples. */
  chunkPath: string;
  moovSamples: number;
  /** Where each run of samples came from, for messages: [first sample index, box path]. */
  sources: Array<[number, string]>;
  syncSet: Set<number> | null;
  trex: { sdi: number; duration: number; size: number; flags: number } | null;
  stsdCount: number;
  nextDecodeTime: number;
  fragmentsSeen: number;
  moovDecodeTotal: number;
}

function sourceOf(s: TrackState, sampleIndex: number): string {
  // sources is sorted by first sample; find the last run starting at or before sampleIndex.
  let lo = 0;
  let hi = s.sources.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s.sources[mid][0] <= sampleIndex) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? s.sources[found][1] : s.trakPath;
}

function emptyTables(): TrackTables {
  return {
    trackId: 0, handler: '', sampleEntry: '', timescale: 0, mdhdDuration: 0, tkhdDuration: 0, volume: 0,
    sampleCount: 0, fragmentSampleCount: 0, sizes: [], syncSamples: null, decodeDeltas: [], compositionOffsets: null,
    chunkOffsets: [], samplesPerChunk: [], sampleOffsets: [], edits: null, avc: null, audio: null, btrt: null,
  };
}

function analyseTrak(ctx: Ctx, trak: BoxNode, drefCountOf: (minf: BoxNode | undefined) => number): TrackState {
  const t = emptyTables();
  const p = trak.path;
  const stblPath = `${p}/mdia/minf/stbl`;
  const state: TrackState = {
    t, trakPath: p, stblPath, chunkPath: `${stblPath}/stco`, moovSamples: 0, sources: [[0, stblPath]], syncSet: null, trex: null,
    stsdCount: 0, nextDecodeTime: 0, fragmentsSeen: 0, moovDecodeTotal: 0,
  };

  const tkhdBox = child(trak, 'tkhd');
  if (!tkhdBox) err(ctx, p, 'tkhd missing');
  const tkhd = tkhdBox ? readTkhd(ctx, tkhdBox) : null;
  if (tkhd) {
    t.trackId = tkhd.trackId;
    t.tkhdDuration = tkhd.duration;
    t.volume = tkhd.volume;
  }
  const mdia = child(trak, 'mdia');
  if (!mdia) {
    err(ctx, p, 'mdia missing');
    return state;
  }
  const mdhdBox = child(mdia, 'mdhd');
  const mdhd = mdhdBox ? readMdhd(ctx, mdhdBox) : null;
  if (!mdhdBox) err(ctx, mdia.path, 'mdhd missing');
  if (mdhd) {
    t.timescale = mdhd.timescale;
    t.mdhdDuration = mdhd.duration;
  }
  const hdlrBox = child(mdia, 'hdlr');
  if (!hdlrBox) err(ctx, mdia.path, 'hdlr missing');
  t.handler = (hdlrBox && readHdlr(ctx, hdlrBox)) || '';
  const minf = child(mdia, 'minf');
  if (!minf) {
    err(ctx, mdia.path, 'minf missing');
    return state;
  }
  const hasVmhd = !!child(minf, 'vmhd');
  const hasSmhd = !!child(minf, 'smhd');
  if (t.handler === 'vide' && !hasVmhd) err(ctx, minf.path, "handler 'vide' but no vmhd");
  if (t.handler === 'soun' && !hasSmhd) err(ctx, minf.path, "handler 'soun' but no smhd");
  if (t.handler !== 'vide' && hasVmhd) err(ctx, minf.path, `vmhd in a '${t.handler}' track`);
  if (t.handler !== 'soun' && hasSmhd) err(ctx, minf.path, `smhd in a '${t.handler}' track`);
  if (t.handler !== 'vide' && t.handler !== 'soun' && t.handler !== '') warn(ctx, hdlrBox!.path, `handler '${t.handler}' is neither vide nor soun`);
  const vmhd = child(minf, 'vmhd');
  if (vmhd) {
    parseBox(ctx, vmhd, (r) => {
      const { flags } = fullBox(r, [0]);
      if (flags !== 1) warn(ctx, vmhd.path, `flags ${flags} (the spec fixes vmhd flags at 1)`);
    });
  }
  const drefCount = drefCountOf(minf);

  if (tkhd) {
    if (t.handler === 'vide') {
      if (tkhd.width === 0 || tkhd.height === 0) err(ctx, tkhdBox!.path, `width/height ${tkhd.width}x${tkhd.height} for a video track`);
      if (tkhd.volume !== 0) err(ctx, tkhdBox!.path, `volume 0x${tkhd.volume.toString(16)} for a video track (expected 0)`);
    } else if (t.handler === 'soun') {
      if (tkhd.width !== 0 || tkhd.height !== 0) warn(ctx, tkhdBox!.path, `width/height ${tkhd.width}x${tkhd.height} for an audio track`);
      if (tkhd.volume === 0) warn(ctx, tkhdBox!.path, 'volume 0 for an audio track');
    }
  }

  const edts = child(trak, 'edts');
  if (edts) {
    const elst = child(edts, 'elst');
    if (!elst) err(ctx, edts.path, 'edts without elst');
    else t.edits = readElst(ctx, elst);
  }

  const stbl = child(minf, 'stbl');
  if (!stbl) {
    err(ctx, minf.path, 'stbl missing');
    return state;
  }

  // stsd
  const stsd = child(stbl, 'stsd');
  if (!stsd) err(ctx, stbl.path, 'stsd missing');
  else {
    const hdr = parseBox(ctx, stsd, (r) => {
      fullBox(r, [0]);
      return r.u32();
    });
    if (hdr !== null && hdr !== stsd.children.length) err(ctx, stsd.path, `entry_count ${hdr} but ${stsd.children.length} entries`);
    state.stsdCount = stsd.children.length;
    if (stsd.children.length === 0) err(ctx, stsd.path, 'no sample entries');
    const entry = stsd.children[0];
    if (entry) {
      t.sampleEntry = entry.type;
      analyseEntry(ctx, state, entry, drefCount);
    }
  }

  // Timing
  const sttsBox = child(stbl, 'stts');
  if (!sttsBox) err(ctx, stbl.path, 'stts missing');
  const stts = sttsBox ? readTable(ctx, sttsBox, 2) : null;
  let sttsTotal = 0;
  let sttsDuration = 0;
  if (stts) {
    for (const [count, delta] of stts.rows) {
      sttsTotal += count;
      sttsDuration += count * delta;
    }
  }
  // Sizes
  const stszBox = child(stbl, 'stsz');
  const stz2Box = child(stbl, 'stz2');
  if (!stszBox && !stz2Box) err(ctx, stbl.path, 'neither stsz nor stz2');
  const sizeBox = stszBox ?? stz2Box;
  const sizes = stszBox ? readStsz(ctx, stszBox) : stz2Box ? readStz2(ctx, stz2Box) : null;
  // Chunks
  const stcoBox = child(stbl, 'stco');
  const co64Box = child(stbl, 'co64');
  if (!stcoBox && !co64Box) err(ctx, stbl.path, 'neither stco nor co64');
  if (stcoBox && co64Box) err(ctx, stbl.path, 'both stco and co64');
  const chunkBox = stcoBox ?? co64Box;
  if (chunkBox) state.chunkPath = chunkBox.path;
  const chunkOffsets = stcoBox ? readTable(ctx, stcoBox, 1)?.rows.map((r) => r[0]) ?? null : co64Box ? readCo64(ctx, co64Box) : null;
  const stscBox = child(stbl, 'stsc');
  if (!stscBox) err(ctx, stbl.path, 'stsc missing');
  const stsc = stscBox ? readTable(ctx, stscBox, 3) : null;

  const sampleCount = sizes ? sizes.length : sttsTotal;
  if (sizes && stts && sizes.length !== sttsTotal) {
    err(ctx, sizeBox!.path, `sample_count ${sizes.length} != stts total ${sttsTotal}`);
  }
  // Expand stts into per-sample deltas (bounded so a corrupt count cannot exhaust memory).
  const deltas: number[] = [];
  if (stts) {
    const cap = Math.max(sampleCount, 0) + 1;
    outer: for (const [count, delta] of stts.rows) {
      for (let i = 0; i < count; i++) {
        if (deltas.length >= cap) break outer;
        deltas.push(delta);
      }
    }
    stts.rows.forEach(([count, delta], i) => {
      if (delta === 0 && count > 0 && !(i === stts.rows.length - 1 && count === 1))
        warn(ctx, sttsBox!.path, `entry ${i + 1}: sample_delta 0 for ${count} sample(s)`);
    });
  }
  const cttsBox = child(stbl, 'ctts');
  if (cttsBox) {
    const ctts = readCtts(ctx, cttsBox);
    if (ctts) {
      const cts: number[] = [];
      let total = 0;
      for (const [count, off] of ctts) {
        total += count;
        for (let i = 0; i < count && cts.length <= sampleCount; i++) cts.push(off);
      }
      if (total !== sampleCount) err(ctx, cttsBox.path, `sample total ${total} != sample count ${sampleCount}`);
      t.compositionOffsets = cts.slice(0, sampleCount);
    }
  }

  // stsc over chunks
  const chunkCount = chunkOffsets ? chunkOffsets.length : 0;
  const perChunk: number[] = [];
  const perChunkSdi: number[] = [];
  if (stsc && chunkOffsets) {
    const rows = stsc.rows;
    if (rows.length === 0 && chunkCount > 0) err(ctx, stscBox!.path, `no entries but ${chunkCount} chunk(s)`);
    if (rows.length > 0 && rows[0][0] !== 1) err(ctx, stscBox!.path, `first entry's first_chunk is ${rows[0][0]} (expected 1)`);
    for (let i = 1; i < rows.length; i++) {
      if (rows[i][0] <= rows[i - 1][0]) {
        err(ctx, stscBox!.path, `first_chunk not strictly increasing: entry ${i + 1} has ${rows[i][0]} after ${rows[i - 1][0]}`);
        break;
      }
    }
    rows.forEach(([, spc, sdi], i) => {
      if (spc === 0) err(ctx, stscBox!.path, `entry ${i + 1}: samples_per_chunk 0`);
      if (sdi < 1 || sdi > state.stsdCount) err(ctx, stscBox!.path, `entry ${i + 1}: sample_description_index ${sdi} not in 1..${state.stsdCount}`);
    });
    if (rows.length > 0 && rows[rows.length - 1][0] > chunkCount) {
      err(ctx, chunkBox!.path, `chunk count ${chunkCount} < last stsc first_chunk ${rows[rows.length - 1][0]}`);
    }
    for (let i = 0; i < rows.length; i++) {
      const from = rows[i][0];
      const to = i + 1 < rows.length ? Math.min(rows[i + 1][0] - 1, chunkCount) : chunkCount;
      for (let c = Math.max(from, perChunk.length + 1); c <= to; c++) {
        perChunk.push(rows[i][1]);
        perChunkSdi.push(rows[i][2]);
      }
    }
    const stscTotal = perChunk.reduce((a, b) => a + b, 0);
    if (sizes && stscTotal !== sizes.length && perChunk.length === chunkCount) {
      err(ctx, stscBox!.path, `expands to ${stscTotal} samples over ${chunkCount} chunk(s) != stsz sample_count ${sizes.length}`);
    }
  }

  // Absolute sample offsets.
  const offsets: number[] = [];
  if (sizes && chunkOffsets) {
    let s = 0;
    for (let c = 0; c < perChunk.length && s < sizes.length; c++) {
      let off = chunkOffsets[c];
      for (let k = 0; k < perChunk[c] && s < sizes.length; k++, s++) {
        offsets.push(off);
        off += sizes[s];
      }
    }
  }

  // Sync samples.
  const stssBox = child(stbl, 'stss');
  if (stssBox) {
    const stss = readStss(ctx, stssBox);
    if (stss) {
      if (stss.length === 0) err(ctx, stssBox.path, 'present but empty (would mean no sync samples at all)');
      for (let i = 1; i < stss.length; i++) {
        if (stss[i] <= stss[i - 1]) {
          err(ctx, stssBox.path, `entries not strictly increasing: entry ${i + 1} is ${stss[i]} after ${stss[i - 1]}`);
          break;
        }
      }
      const bad = stss.filter((n) => n < 1 || n > sampleCount);
      if (bad.length) err(ctx, stssBox.path, `sample number(s) ${bad.slice(0, 5).join(', ')} outside 1..${sampleCount}`);
      if (t.handler === 'vide' && stss.length > 0 && stss[0] !== 1) err(ctx, stssBox.path, `first sync sample is ${stss[0]} (expected 1 for video)`);
      t.syncSamples = stss.slice();
      state.syncSet = new Set(stss);
    }
  }

  // Durations.
  if (mdhd && stts && mdhd.duration !== sttsDuration) {
    err(ctx, mdhdBox!.path, `duration ${mdhd.duration} != sum of stts deltas ${sttsDuration}`);
  }

  t.sizes = sizes ?? [];
  t.sampleCount = t.sizes.length;
  t.decodeDeltas = deltas.slice(0, t.sampleCount);
  t.chunkOffsets = chunkOffsets ?? [];
  t.samplesPerChunk = perChunk;
  t.sampleOffsets = offsets;
  state.moovSamples = t.sampleCount;
  state.moovDecodeTotal = sttsDuration;
  state.nextDecodeTime = sttsDuration;
  return state;
}

function analyseEntry(ctx: Ctx, state: TrackState, entry: BoxNode, drefCount: number): void {
  const t = state.t;
  const kindVideo = VISUAL_ENTRIES.has(entry.type);
  const kindAudio = AUDIO_ENTRIES.has(entry.type);
  if (t.handler === 'vide' && !kindVideo) err(ctx, entry.path, `sample entry '${entry.type}' in a 'vide' track`);
  if (t.handler === 'soun' && !kindAudio) err(ctx, entry.path, `sample entry '${entry.type}' in a 'soun' track`);
  if (!kindVideo && !kindAudio) warn(ctx, entry.path, `sample entry '${entry.type}' is not checked by this validator`);

  if (kindVideo) {
    const ve = readVisualEntry(ctx, entry);
    if (ve) {
      if (ve.width === 0 || ve.height === 0) err(ctx, entry.path, `width/height ${ve.width}x${ve.height}`);
      if (ve.dataRefIndex < 1 || ve.dataRefIndex > drefCount) err(ctx, entry.path, `data_reference_index ${ve.dataRefIndex} not in 1..${drefCount}`);
    }
    if (entry.type === 'avc1' || entry.type === 'avc3') {
      const avcC = child(entry, 'avcC');
      if (!avcC) err(ctx, entry.path, 'avcC missing');
      else {
        const cfg = readAvcC(ctx, avcC);
        if (cfg) t.avc = { ...cfg, width: ve?.width ?? 0, height: ve?.height ?? 0 };
      }
    }
    const colr = child(entry, 'colr');
    if (colr) {
      parseBox(ctx, colr, (r) => {
        const kind = r.fourcc();
        const len = r.left;
        if (kind === 'nclx' && len !== 7) err(ctx, colr.path, `nclx payload is ${len} bytes (expected 7)`);
        else if (kind === 'nclc' && len !== 6) err(ctx, colr.path, `nclc payload is ${len} bytes (expected 6)`);
        else if ((kind === 'rICC' || kind === 'prof') && len === 0) err(ctx, colr.path, `${kind} with an empty ICC profile`);
        else if (!['nclx', 'nclc', 'rICC', 'prof'].includes(kind)) warn(ctx, colr.path, `unknown colour_type '${kind}'`);
      });
    }
    const pasp = child(entry, 'pasp');
    if (pasp) {
      const len = pasp.size - pasp.headerSize;
      if (len !== 8) err(ctx, pasp.path, `payload is ${len} bytes (expected 8)`);
      else {
        parseBox(ctx, pasp, (r) => {
          const h = r.u32();
          const v = r.u32();
          if (h === 0 || v === 0) err(ctx, pasp.path, `spacing ${h}:${v} has a zero term`);
        });
      }
    }
    const btrt = child(entry, 'btrt');
    if (btrt && btrt.size - btrt.headerSize !== 12) err(ctx, btrt.path, `payload is ${btrt.size - btrt.headerSize} bytes (expected 12)`);
    else if (btrt) t.btrt = parseBox(ctx, btrt, (r) => ({ bufferSize: r.u32(), max: r.u32(), avg: r.u32() }));
  }

  if (kindAudio) {
    const ae = readAudioEntry(ctx, entry);
    if (ae) {
      if (ae.channelCount === 0) err(ctx, entry.path, 'channelcount 0');
      if (ae.sampleRate === 0) warn(ctx, entry.path, 'samplerate 0');
      if (ae.dataRefIndex < 1 || ae.dataRefIndex > drefCount) err(ctx, entry.path, `data_reference_index ${ae.dataRefIndex} not in 1..${drefCount}`);
      const { channelCount, sampleSize, sampleRate } = ae;
      t.audio = { channelCount, sampleSize, sampleRate, objectTypeIndication: null, streamTypeByte: null, decoderSpecificInfo: null, bitrates: null };
    }
    if (entry.type === 'mp4a') {
      const esds = child(entry, 'esds');
      if (!esds) err(ctx, entry.path, 'esds missing');
      else {
        const e = readEsds(ctx, esds);
        if (e) {
          if (t.audio) {
            t.audio.objectTypeIndication = e.oti;
            t.audio.streamTypeByte = e.streamTypeByte;
            t.audio.decoderSpecificInfo = e.dsi;
            t.audio.bitrates = e.bitrates;
          }
          if (e.streamTypeByte !== 0x15)
            err(ctx, esds.path, `DecoderConfigDescriptor streamType byte 0x${e.streamTypeByte.toString(16)} (expected 0x15 for audio)`);
          if (![0x40, 0x66, 0x67, 0x68, 0x69, 0x6b, 0xa5, 0xa6, 0xa9, 0xad, 0xdd].includes(e.oti))
            warn(ctx, esds.path, `objectTypeIndication 0x${e.oti.toString(16)} is not a known audio type`);
          if ([0x40, 0x66, 0x67, 0x68].includes(e.oti) && !e.dsi)
            err(ctx, esds.path, `AAC objectTypeIndication 0x${e.oti.toString(16)} without a DecoderSpecificInfo`);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fragments

const TFHD_BASE_OFFSET = 0x1;
const TFHD_SDI = 0x2;
const TFHD_DURATION = 0x8;
const TFHD_SIZE = 0x10;
const TFHD_FLAGS = 0x20;
const TFHD_EMPTY = 0x10000;
const TFHD_BASE_IS_MOOF = 0x20000;
const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTS = 0x800;
const NON_SYNC = 0x10000;

function analyseFragments(ctx: Ctx, top: BoxNode[], mdats: BoxNode[], byId: Map<number, TrackState>): void {
  let prevSeq = -1;
  for (const moof of top.filter((b) => b.type === 'moof')) {
    const mfhd = child(moof, 'mfhd');
    if (!mfhd) err(ctx, moof.path, 'mfhd missing');
    else {
      const seq = parseBox(ctx, mfhd, (r) => {
        fullBox(r, [0]);
        return r.u32();
      });
      if (seq !== null) {
        if (seq <= prevSeq) err(ctx, mfhd.path, `sequence_number ${seq} not greater than the previous ${prevSeq}`);
        prevSeq = seq;
      }
    }
    const mdat = mdats.find((m) => m.offset > moof.offset);
    const mdatFrom = mdat ? mdat.offset + mdat.headerSize : 0;
    const mdatTo = mdat ? mdat.offset + mdat.size : 0;
    if (!mdat) err(ctx, moof.path, 'no mdat follows this moof');
    const trafs = childrenOf(moof, 'traf');
    if (trafs.length === 0) warn(ctx, moof.path, 'no traf');
    let prevTrafDataEnd = moof.offset;
    for (const traf of trafs) {
      const tfhdBox = child(traf, 'tfhd');
      if (!tfhdBox) {
        err(ctx, traf.path, 'tfhd missing');
        continue;
      }
      const tfhd = parseBox(ctx, tfhdBox, (r) => {
        const { flags } = fullBox(r, [0]);
        const trackId = r.u32();
        return {
          flags, trackId,
          base: flags & TFHD_BASE_OFFSET ? r.u64() : null,
          sdi: flags & TFHD_SDI ? r.u32() : null,
          duration: flags & TFHD_DURATION ? r.u32() : null,
          size: flags & TFHD_SIZE ? r.u32() : null,
          sflags: flags & TFHD_FLAGS ? r.u32() : null,
        };
      });
      if (!tfhd) continue;
      const st = byId.get(tfhd.trackId);
      if (!st) {
        err(ctx, tfhdBox.path, `track_ID ${tfhd.trackId} has no trak in moov`);
        continue;
      }
      const t = st.t;
      if (!st.trex) err(ctx, tfhdBox.path, `track_ID ${tfhd.trackId} has no trex in moov/mvex`);
      const sdi = tfhd.sdi ?? st.trex?.sdi ?? 1;
      if (sdi < 1 || sdi > st.stsdCount) err(ctx, tfhdBox.path, `sample_description_index ${sdi} not in 1..${st.stsdCount}`);
      const defDuration = tfhd.duration ?? st.trex?.duration ?? 0;
      const defSize = tfhd.size ?? st.trex?.size ?? 0;
      const defFlags = tfhd.sflags ?? st.trex?.flags ?? 0;

      const tfdtBox = child(traf, 'tfdt');
      if (!tfdtBox) err(ctx, traf.path, 'tfdt missing');
      const tfdt = tfdtBox
        ? parseBox(ctx, tfdtBox, (r) => {
            const { version } = fullBox(r, [0, 1]);
            return version === 1 ? r.u64() : r.u32();
          })
        : null;
      if (tfdt !== null && tfdtBox) {
        if (st.fragmentsSeen === 0) {
          if (tfdt !== st.nextDecodeTime)
            warn(ctx, tfdtBox.path, `first fragment of track ${t.trackId} starts at base_media_decode_time ${tfdt}, moov samples end at ${st.nextDecodeTime}`);
        } else if (tfdt < st.nextDecodeTime) {
          err(ctx, tfdtBox.path, `base_media_decode_time ${tfdt} decreases: previous fragment of track ${t.trackId} ended at ${st.nextDecodeTime}`);
        } else if (tfdt !== st.nextDecodeTime) {
          err(ctx, tfdtBox.path, `base_media_decode_time ${tfdt} != end of the previous fragment of track ${t.trackId} (${st.nextDecodeTime})`);
        }
        st.nextDecodeTime = tfdt;
      }
      st.fragmentsSeen++;

      const base = tfhd.base ?? (tfhd.flags & TFHD_BASE_IS_MOOF ? moof.offset : prevTrafDataEnd);
      let dataPos = base;
      const truns = childrenOf(traf, 'trun');
      if (truns.length === 0 && !(tfhd.flags & TFHD_EMPTY)) warn(ctx, traf.path, 'no trun and duration-is-empty not set');
      let firstInTraf = true;
      for (const trun of truns) {
        const parsed = parseBox(ctx, trun, (r) => {
          const { version, flags } = fullBox(r, [0, 1]);
          const count = r.u32();
          const dataOffset = flags & TRUN_DATA_OFFSET ? r.i32() : null;
          const firstFlags = flags & TRUN_FIRST_FLAGS ? r.u32() : null;
          const per = [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTS].filter((f) => flags & f).length;
          r.entries(count, per * 4, 'sample_count');
          const rows: Array<{ d: number; s: number; f: number; c: number | null }> = [];
          for (let i = 0; i < count; i++) {
            const d = flags & TRUN_DURATION ? r.u32() : defDuration;
            const s = flags & TRUN_SIZE ? r.u32() : defSize;
            let f = flags & TRUN_FLAGS ? r.u32() : defFlags;
            if (i === 0 && firstFlags !== null) f = firstFlags;
            const c = flags & TRUN_CTS ? (version === 1 ? r.i32() : r.u32()) : null;
            rows.push({ d, s, f, c });
          }
          if (r.left !== 0) err(ctx, trun.path, `${r.left} byte(s) after ${count} sample entries`);
          return { flags, count, dataOffset, rows };
        });
        if (!parsed) continue;
        if (parsed.count === 0) err(ctx, trun.path, 'sample_count 0');
        if (parsed.dataOffset !== null) dataPos = base + parsed.dataOffset;
        const total = parsed.rows.reduce((a, x) => a + x.s, 0);
        if (mdat && parsed.count > 0) {
          if (dataPos < mdatFrom || dataPos >= mdatTo) {
            err(
              ctx,
              trun.path,
              `data starts at file offset ${dataPos} (base ${base} + data_offset ${parsed.dataOffset ?? 'implicit'}), not inside the following mdat payload [${mdatFrom}, ${mdatTo})`,
            );
          } else if (dataPos + total > mdatTo) {
            err(
              ctx,
              trun.path,
              `${parsed.count} samples of ${total} bytes from offset ${dataPos} run ${dataPos + total - mdatTo} byte(s) past the following mdat payload [${mdatFrom}, ${mdatTo})`,
            );
          }
        }
        if (firstInTraf && t.handler === 'vide' && parsed.rows.length > 0 && parsed.rows[0].f & NON_SYNC) {
          err(ctx, trun.path, `first sample of a video fragment is not marked sync (sample_flags 0x${parsed.rows[0].f.toString(16)})`);
        }
        firstInTraf = false;
        if (parsed.rows.length) st.sources.push([t.sizes.length, trun.path]);
        if (parsed.flags & TRUN_CTS && !t.compositionOffsets) t.compositionOffsets = new Array<number>(t.sizes.length).fill(0);
        let depWarned = false;
        for (const row of parsed.rows) {
          const n = t.sizes.length + 1;
          t.sizes.push(row.s);
          t.decodeDeltas.push(row.d);
          t.sampleOffsets.push(dataPos);
          if (t.compositionOffsets) t.compositionOffsets.push(row.c ?? 0);
          const sync = (row.f & NON_SYNC) === 0;
          // Moov samples without stss are all sync; make that explicit now that a list is needed.
          if (!st.syncSet) st.syncSet = new Set(Array.from({ length: st.moovSamples }, (_, i) => i + 1));
          if (sync) st.syncSet.add(n);
          const dependsOn = (row.f >> 24) & 3;
          if (sync && dependsOn === 1 && !depWarned) {
            warn(ctx, trun.path, `sample ${n} is sync but sample_depends_on = 1 (depends on others)`);
            depWarned = true;
          }
          dataPos += row.s;
          st.nextDecodeTime += row.d;
        }
        t.fragmentSampleCount += parsed.rows.length;
      }
      prevTrafDataEnd = dataPos;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sample data: placement in mdat, overlaps, and H.264 NAL framing / keyframe truth

interface MdatRange {
  path: string;
  from: number;
  to: number;
}

const MAX_REPORTS = 5;

function checkPlacement(ctx: Ctx, states: TrackState[], mdats: MdatRange[]): void {
  const sorted = mdats.slice().sort((a, b) => a.from - b.from);
  const findMdat = (off: number): MdatRange | undefined => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].to <= off) lo = mid + 1;
      else if (sorted[mid].from > off) hi = mid - 1;
      else return sorted[mid];
    }
    return undefined;
  };
  const starts: number[] = [];
  const ends: number[] = [];
  const owner: number[] = [];
  const sampleNo: number[] = [];
  states.forEach((st, ti) => {
    const t = st.t;
    let outside = 0;
    for (let i = 0; i < t.sampleOffsets.length; i++) {
      const a = t.sampleOffsets[i];
      const b = a + t.sizes[i];
      if (t.sizes[i] === 0) continue;
      const m = findMdat(a);
      if (!m || b > m.to) {
        if (outside < MAX_REPORTS) {
          err(
            ctx,
            i < st.moovSamples ? st.chunkPath : sourceOf(st, i),
            `track ${t.trackId} sample ${i + 1} bytes [${a}, ${b}) not inside any mdat payload${m ? ` (runs past ${m.path} end ${m.to})` : ''}`,
          );
        }
        outside++;
        continue;
      }
      starts.push(a);
      ends.push(b);
      owner.push(ti);
      sampleNo.push(i + 1);
    }
    if (outside > MAX_REPORTS) err(ctx, st.trakPath, `track ${t.trackId}: ${outside} samples in total lie outside mdat payloads`);
    if (t.sampleOffsets.length < t.sampleCount) {
      err(ctx, st.stblPath, `track ${t.trackId}: only ${t.sampleOffsets.length} of ${t.sampleCount} samples could be placed in chunks`);
    }
  });

  const order = Array.from(starts.keys()).sort((x, y) => starts[x] - starts[y]);
  let overlaps = 0;
  let maxEnd = -1;
  let maxIdx = -1;
  for (const i of order) {
    if (starts[i] < maxEnd) {
      if (overlaps < MAX_REPORTS) {
        const a = states[owner[maxIdx]];
        const b = states[owner[i]];
        err(
          ctx,
          b.stblPath,
          `track ${b.t.trackId} sample ${sampleNo[i]} [${starts[i]}, ${ends[i]}) overlaps track ${a.t.trackId} sample ${sampleNo[maxIdx]} [${starts[maxIdx]}, ${ends[maxIdx]})`,
        );
      }
      overlaps++;
    }
    if (ends[i] > maxEnd) {
      maxEnd = ends[i];
      maxIdx = i;
    }
  }
  if (overlaps > MAX_REPORTS) err(ctx, 'file', `${overlaps} overlapping sample byte ranges in total`);

  // Unreferenced mdat bytes are legal but usually a muxer bug (lost or misplaced samples). Every
  // placed sample lies inside one mdat, so the union of sample ranges splits cleanly per mdat.
  const covered = new Map<MdatRange, number>();
  let runStart = -1;
  let runEnd = -1;
  const flush = (): void => {
    if (runEnd <= runStart) return;
    const m = findMdat(runStart);
    if (m) covered.set(m, (covered.get(m) ?? 0) + (runEnd - runStart));
  };
  for (const i of order) {
    if (starts[i] > runEnd) {
      flush();
      runStart = starts[i];
      runEnd = ends[i];
    } else runEnd = Math.max(runEnd, ends[i]);
  }
  flush();
  for (const m of sorted) {
    const payload = m.to - m.from;
    const c = covered.get(m) ?? 0;
    if (c < payload) warn(ctx, m.path, `${payload - c} of ${payload} payload byte(s) are not referenced by any sample`);
  }
}

function checkNalUnits(ctx: Ctx, st: TrackState): void {
  const t = st.t;
  if (t.handler !== 'vide' || !t.avc) return;
  const len = t.avc.lengthSize;
  if (len !== 1 && len !== 2 && len !== 4) return;
  const bytes = ctx.bytes;
  const isSync = (n: number): boolean => (st.syncSet ? st.syncSet.has(n) : true);
  const syncSource = st.syncSet ? 'stss/sample flags' : 'no stss: every sample is sync';
  let framing = 0;
  let truth = 0;
  for (let i = 0; i < t.sampleCount && i < t.sampleOffsets.length; i++) {
    const start = t.sampleOffsets[i];
    const size = t.sizes[i];
    if (start + size > bytes.length) continue; // reported by placement
    const n = i + 1;
    let pos = start;
    const end = start + size;
    let idr = false;
    let nonIdrSlice = false;
    let framingError: string | null = null;
    const types: number[] = [];
    while (pos < end) {
      if (end - pos < len) {
        framingError = `${end - pos} trailing byte(s) after the last NAL unit (less than a ${len}-byte length)`;
        break;
      }
      let nalLen = 0;
      for (let k = 0; k < len; k++) nalLen = nalLen * 256 + bytes[pos + k];
      pos += len;
      if (nalLen === 0) {
        framingError = `zero-length NAL unit at byte ${pos - len - start}`;
        break;
      }
      if (pos + nalLen > end) {
        framingError = `NAL length ${nalLen} at byte ${pos - len - start} overruns the sample size ${size}`;
        break;
      }
      const h = bytes[pos];
      if (h & 0x80) {
        framingError = `NAL at byte ${pos - len - start} has forbidden_zero_bit set`;
        break;
      }
      const type = h & 0x1f;
      types.push(type);
      if (type === 5) idr = true;
      if (type === 1) nonIdrSlice = true;
      pos += nalLen;
    }
    if (size === 0) framingError = 'empty sample';
    if (framingError) {
      if (framing < MAX_REPORTS) err(ctx, sourceOf(st, i), `track ${t.trackId} sample ${n}: ${framingError}`);
      framing++;
      continue;
    }
    let problem: string | null = null;
    if (isSync(n) && !idr) problem = `is marked sync (${syncSource}) but has no IDR NAL unit (NAL types ${Array.from(new Set(types)).join(',')})`;
    else if (!isSync(n) && idr) problem = `has an IDR NAL unit but is not marked sync`;
    else if (idr && nonIdrSlice) problem = `mixes IDR (5) and non-IDR (1) slices`;
    if (problem) {
      if (truth < MAX_REPORTS) err(ctx, sourceOf(st, i), `track ${t.trackId} sample ${n} ${problem}`);
      truth++;
    }
  }
  if (framing > MAX_REPORTS) err(ctx, st.trakPath, `track ${t.trackId}: ${framing} samples in total are not exactly filled by length-prefixed NAL units`);
  if (truth > MAX_REPORTS) err(ctx, st.trakPath, `track ${t.trackId}: ${truth} samples in total have sync marking that disagrees with their NAL units`);
}

// ---------------------------------------------------------------------------------------------
// Whole file

function validate(bytes: Uint8Array, ctx: Ctx): IsoReport {
  const top = parseLevel(ctx, 0, bytes.length, null, 0);
  const report: IsoReport = { boxes: top, tracks: [], fragmented: false, errors: ctx.errors, warnings: ctx.warnings };

  // File-level layout.
  const ftypIdx = top.findIndex((b) => b.type === 'ftyp');
  if (ftypIdx < 0) err(ctx, 'file', 'no ftyp box');
  else {
    const before = top.slice(0, ftypIdx).map((b) => b.type);
    if (before.some((t) => t !== 'free' && t !== 'skip')) err(ctx, top[ftypIdx].path, `not the first box (preceded by ${before.join(', ')})`);
    else if (before.length) warn(ctx, top[ftypIdx].path, `preceded by ${before.join(', ')}`);
    const ftyp = top[ftypIdx];
    const len = ftyp.size - ftyp.headerSize;
    if (len < 8 || len % 4 !== 0) err(ctx, ftyp.path, `payload of ${len} bytes is not major_brand + minor_version + 4-byte compatible brands`);
  }
  if (top.filter((b) => b.type === 'ftyp').length > 1) err(ctx, 'file', 'more than one ftyp');
  const moovs = top.filter((b) => b.type === 'moov');
  if (moovs.length === 0) {
    err(ctx, 'file', 'no moov box');
    return report;
  }
  if (moovs.length > 1) err(ctx, 'file', `${moovs.length} moov boxes (expected exactly one)`);
  const moov = moovs[0];
  const moofs = top.filter((b) => b.type === 'moof');
  const mvex = child(moov, 'mvex');
  report.fragmented = moofs.length > 0 || !!mvex;
  if (moofs.length > 0 && moofs[0].offset < moov.offset) err(ctx, moofs[0].path, 'moof before moov');

  const mvhdBox = child(moov, 'mvhd');
  if (!mvhdBox) err(ctx, moov.path, 'mvhd missing');
  const mvhd = mvhdBox ? readMvhd(ctx, mvhdBox) : null;

  const drefCountOf = (minf: BoxNode | undefined): number => {
    const dref = at(minf, 'dinf/dref');
    if (!dref) {
      if (minf) err(ctx, minf.path, 'dinf/dref missing');
      return 0;
    }
    const n = parseBox(ctx, dref, (r) => {
      fullBox(r, [0]);
      return r.u32();
    });
    if (n !== null && n !== dref.children.length) err(ctx, dref.path, `entry_count ${n} but ${dref.children.length} entries`);
    for (const e of dref.children) {
      const flags = parseBox(ctx, e, (r) => fullBox(r, [0]).flags);
      if (flags !== null && (flags & 1) === 0) warn(ctx, e.path, 'media data is not in this file (self-contained flag unset)');
    }
    return dref.children.length;
  };

  const states = childrenOf(moov, 'trak').map((trak) => analyseTrak(ctx, trak, drefCountOf));
  if (states.length === 0) err(ctx, moov.path, 'no trak');
  const byId = new Map<number, TrackState>();
  for (const st of states) {
    const id = st.t.trackId;
    if (id === 0) err(ctx, `${st.trakPath}/tkhd`, 'track_ID 0');
    if (byId.has(id)) err(ctx, `${st.trakPath}/tkhd`, `track_ID ${id} is used by another trak`);
    else byId.set(id, st);
    if (mvhd && id >= mvhd.nextTrackId) err(ctx, mvhdBox!.path, `next_track_ID ${mvhd.nextTrackId} is not greater than track_ID ${id}`);
  }

  // Fragment defaults.
  if (mvex) {
    for (const trex of childrenOf(mvex, 'trex')) {
      const v = parseBox(ctx, trex, (r) => {
        fullBox(r, [0]);
        return { id: r.u32(), sdi: r.u32(), duration: r.u32(), size: r.u32(), flags: r.u32() };
      });
      if (!v) continue;
      const st = byId.get(v.id);
      if (!st) err(ctx, trex.path, `track_ID ${v.id} has no trak`);
      else if (st.trex) err(ctx, trex.path, `second trex for track_ID ${v.id}`);
      else st.trex = { sdi: v.sdi, duration: v.duration, size: v.size, flags: v.flags };
    }
    for (const st of states) if (!st.trex) err(ctx, mvex.path, `no trex for track_ID ${st.t.trackId}`);
  } else if (moofs.length > 0) {
    err(ctx, moov.path, `${moofs.length} moof box(es) but no mvex`);
  }

  const mdatBoxes = top.filter((b) => b.type === 'mdat');
  if (moofs.length > 0) analyseFragments(ctx, top, mdatBoxes, byId);

  for (const st of states) {
    const t = st.t;
    t.sampleCount = t.sizes.length;
    if (st.syncSet && (t.fragmentSampleCount > 0 || t.syncSamples)) t.syncSamples = Array.from(st.syncSet).sort((a, b) => a - b);
  }

  // Durations and edit lists.
  const mvhdTs = mvhd?.timescale ?? 0;
  let maxTkhd = 0;
  for (const st of states) {
    const t = st.t;
    maxTkhd = Math.max(maxTkhd, t.tkhdDuration);
    const tkhdPath = `${st.trakPath}/tkhd`;
    const elstPath = `${st.trakPath}/edts/elst`;
    // Media end on the composition timeline (edits address composition time).
    let dts = 0;
    let mediaEnd = 0;
    for (let i = 0; i < t.decodeDeltas.length; i++) {
      const cts = dts + (t.compositionOffsets?.[i] ?? 0);
      mediaEnd = Math.max(mediaEnd, cts + t.decodeDeltas[i], dts + t.decodeDeltas[i]);
      dts += t.decodeDeltas[i];
    }
    const mediaDuration = t.fragmentSampleCount > 0 ? mediaEnd : Math.max(mediaEnd, t.mdhdDuration);
    if (t.edits) {
      if (t.edits.length === 0) warn(ctx, elstPath, 'edit list with no entries');
      t.edits.forEach((e, i) => {
        const n = i + 1;
        if (e.mediaTime < -1) err(ctx, elstPath, `entry ${n}: media_time ${e.mediaTime} < -1`);
        if (e.mediaRate !== 1) err(ctx, elstPath, `entry ${n}: media_rate ${e.mediaRate} (expected 1)`);
        if (e.mediaTime >= 0 && mvhdTs > 0 && t.timescale > 0 && !(report.fragmented && e.segmentDuration === 0)) {
          const inMedia = (e.segmentDuration * t.timescale) / mvhdTs;
          if (e.mediaTime + inMedia > mediaDuration + 1) {
            err(
              ctx,
              elstPath,
              `entry ${n}: media_time ${e.mediaTime} + segment_duration ${e.segmentDuration} (= ${Math.round(inMedia)} media ticks) = ${Math.round(e.mediaTime + inMedia)} > media duration ${mediaDuration}`,
            );
          }
        }
      });
    }
    const emptyFragmentedMoov = report.fragmented && st.moovSamples === 0;
    if (mvhdTs > 0 && t.timescale > 0 && !(emptyFragmentedMoov && t.tkhdDuration === 0)) {
      if (t.edits && t.edits.length > 0) {
        const sum = t.edits.reduce((a, e) => a + e.segmentDuration, 0);
        if (!(report.fragmented && sum === 0) && Math.abs(t.tkhdDuration - sum) > 1) {
          err(ctx, tkhdPath, `duration ${t.tkhdDuration} != sum of edit segment_durations ${sum} (mvhd timescale)`);
        }
      } else if (!emptyFragmentedMoov) {
        const expected = (t.mdhdDuration * mvhdTs) / t.timescale;
        if (Math.abs(t.tkhdDuration - expected) > 1) {
          err(ctx, tkhdPath, `duration ${t.tkhdDuration} != mdhd duration ${t.mdhdDuration} converted to mvhd timescale (${expected.toFixed(1)})`);
        }
      }
    }
  }
  if (mvhd && Math.abs(mvhd.duration - maxTkhd) > 1 && !(report.fragmented && maxTkhd === 0)) {
    err(ctx, mvhdBox!.path, `duration ${mvhd.duration} != max tkhd duration ${maxTkhd}`);
  }
  // mehd: the whole fragmented presentation's length, in mvhd timescale.
  const mehd = child(mvex, 'mehd');
  if (mehd && mvhdTs > 0) {
    const declared = parseBox(ctx, mehd, (r) => (fullBox(r, [0, 1]).version === 1 ? r.u64() : r.u32()));
    const longest = Math.max(0, ...states.map((st) => (st.t.timescale ? (st.t.decodeDeltas.reduce((a, d) => a + d, 0) * mvhdTs) / st.t.timescale : 0)));
    if (declared !== null && Math.abs(declared - longest) > 1) {
      warn(ctx, mehd.path, `fragment_duration ${declared} != longest track's total sample duration ${longest.toFixed(1)} (mvhd timescale)`);
    }
  }

  // Sample data.
  const totalSamples = states.reduce((a, st) => a + st.t.sampleCount, 0);
  if (totalSamples > 0 && mdatBoxes.length === 0) err(ctx, 'file', `${totalSamples} samples but no mdat box`);
  const mdats: MdatRange[] = mdatBoxes.map((m) => ({ path: m.path, from: m.offset + m.headerSize, to: m.offset + m.size }));
  checkPlacement(ctx, states, mdats);
  for (const st of states) checkNalUnits(ctx, st);

  report.tracks = states.map((s) => s.t);
  return report;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Validates an MP4 file's structure. Never throws on bad input: every problem lands in `errors`. */
export function validateIsoBmff(bytes: Uint8Array): IsoReport {
  const ctx: Ctx = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, errors: [], warnings: [] };
  try {
    return validate(bytes, ctx);
  } catch (e) {
    ctx.errors.push(`file: validator failed unexpectedly: ${(e as Error).stack ?? String(e)}`);
    return { boxes: [], tracks: [], fragmented: false, errors: ctx.errors, warnings: ctx.warnings };
  }
}

/** Validates bytes or a file path and throws one Error listing every error found. */
export function assertValidIsoBmff(bytes: Uint8Array | string): IsoReport {
  const data = typeof bytes === 'string' ? new Uint8Array(readFileSync(bytes)) : bytes;
  const report = validateIsoBmff(data);
  if (report.errors.length > 0) {
    const name = typeof bytes === 'string' ? bytes : `${data.length}-byte buffer`;
    throw new Error(`ISO-BMFF validation failed for ${name} with ${report.errors.length} error(s):\n  - ${report.errors.join('\n  - ')}`);
  }
  return report;
}

/** Per-track sample tables (moov tables followed by fragment samples). */
export function readSampleTables(bytes: Uint8Array): TrackTables[] {
  return validateIsoBmff(bytes).tracks;
}
