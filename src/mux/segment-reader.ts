// Reads fragmented MP4 segments front to back: the header (ftyp, moov with our segment record),
// then one fragment (moof + mdat) at a time. Only forward reads, so a segment can come from a
// file, a buffer or a network stream alike, and at most one fragment's media is held at a time.
// Written for the segments mp4forge makes (one video track), but it follows the tfhd/trun flags
// and trex defaults of 14496-12 rather than assuming our exact box layout.
import { Mp4ForgeError } from '../errors.js';
import { BoxHeaderError, childBoxes as boxes, findBox, fourcc, hasLargeSize, parseBoxHeader, u32 } from './box-reader.js';
import { isSegmentInfoPayload, parseSegmentInfo, type SegmentInfo } from './segment-box.js';
import type { ColourInfo, MuxSample } from './types.js';
import type { ForwardReader } from './forward-reader.js';

export { bytesReader, ChunkReader, type ForwardReader } from './forward-reader.js';

/** What the header of a segment says: the video track's description and our record. */
export interface SegmentHeader {
  /** The record from our `uuid` box; null when the file has none (not an mp4forge segment). */
  info: SegmentInfo | null;
  /** Tracks in the moov. */
  trackCount: number;
  /** True when the moov has an mvex (the media is in fragments). */
  fragmented: boolean;
  trackId: number;
  handler: string;
  /** Media timescale (mdhd). */
  timescale: number;
  /** Sample entry four-cc (`avc1` for ours). */
  sampleEntry: string;
  width: number;
  height: number;
  /** avcC payload, when the sample entry has one. */
  avcC: Uint8Array | null;
  colour: ColourInfo | null;
}

/** One fragment of the segment's track. */
export interface SegmentFragment {
  /** tfdt's baseMediaDecodeTime (0 when absent). */
  baseMediaDecodeTime: number;
  samples: MuxSample[];
}

interface TrexDefaults {
  duration: number;
  size: number;
  flags: number;
}

const IS_NON_SYNC = 0x00010000;
/** Boxes that never hold more than an index entry or so; larger ones mean a broken or foreign file. */
const MAX_HEADER_BOX = 64 << 20;

/**
 * An open segment: `header` is read by {@link openSegment}; `fragments()` then yields the media.
 * `where` names the segment in error messages (e.g. `segment 2 (part2.m4s)`).
 */
export class SegmentReader {
  private position = 0;
  private trex: TrexDefaults = { duration: 0, size: 0, flags: 0 };
  private header_: SegmentHeader | null = null;

  constructor(
    private readonly input: ForwardReader,
    readonly where: string,
    /** Position of the segment in the caller's list, from 0 (`details.segment` is this + 1). */
    readonly index = 0,
  ) {}

  get header(): SegmentHeader {
    if (!this.header_) throw new Error('internal: segment header not read yet');
    return this.header_;
  }

  /** Reads up to and including the moov. */
  async readHeader(): Promise<SegmentHeader> {
    for (;;) {
      const box = await this.nextBox();
      if (!box) throw this.invalid(this.position === 0 ? 'it is empty' : 'it ends before any moov box (the index); it is not a complete segment');
      if (box.type === 'moov') {
        const body = await this.readBody(box, 'moov');
        this.header_ = this.parseMoov(body);
        return this.header_;
      }
      if (box.type === 'moof' || box.type === 'mdat')
        throw this.invalid(`its '${box.type}' at offset ${box.offset} comes before the moov; a segment starts with ftyp and moov`);
      await this.skip(box);
    }
  }

  /** Yields fragments in file order; each fragment's sample bytes are read just before it is yielded. */
  async *fragments(): AsyncGenerator<SegmentFragment> {
    const trackId = this.header.trackId;
    for (;;) {
      const box = await this.nextBox();
      if (!box) return;
      if (box.type !== 'moof') {
        if (box.type === 'mdat') throw this.invalid(`an mdat at offset ${box.offset} is not preceded by a moof`);
        await this.skip(box);
        continue;
      }
      const moofBytes = await this.readBody(box, 'moof');
      const plan = this.parseMoof(moofBytes, box.offset, trackId);
      // The media follows in the next mdat (other boxes such as 'free' may come between).
      let mdat = await this.nextBox();
      while (mdat && mdat.type !== 'mdat') {
        if (mdat.type === 'moof') break;
        await this.skip(mdat);
        mdat = await this.nextBox();
      }
      if (!mdat || mdat.type !== 'mdat') throw this.invalid(`the fragment at offset ${box.offset} has no mdat after its moof (truncated segment?)`);
      const payloadStart = mdat.offset + mdat.headerSize;
      const payloadSize = mdat.size - mdat.headerSize;
      const payload = await this.input.read(payloadSize);
      this.position += payload.length;
      if (payload.length < payloadSize)
        throw this.invalid(
          `its mdat at offset ${mdat.offset} declares ${payloadSize} bytes of media but the input ends after ${payload.length} (truncated segment?)`,
        );
      const samples: MuxSample[] = plan.samples.map((s) => {
        const from = s.offset - payloadStart;
        if (from < 0 || from + s.size > payloadSize)
          throw this.invalid(`a sample of the fragment at offset ${box.offset} points outside the mdat that follows it`);
        return { data: payload.subarray(from, from + s.size), duration: s.duration, sync: s.sync };
      });
      yield { baseMediaDecodeTime: plan.baseMediaDecodeTime, samples };
    }
  }

  close(): Promise<void> {
    return this.input.close();
  }

  /** What every error about this segment carries: its position (from 1) and its source. */
  private get details(): { segment: number; source: string } {
    return { segment: this.index + 1, source: this.where };
  }

  private invalid(why: string): Mp4ForgeError {
    return new Mp4ForgeError('INVALID_MP4', `${this.where} is not a readable segment: ${why}`, { details: this.details });
  }

  private async nextBox(): Promise<{ type: string; offset: number; size: number; headerSize: number } | null> {
    const offset = this.position;
    let head = await this.input.read(8);
    this.position += head.length;
    if (head.length === 0) return null;
    if (head.length === 8 && hasLargeSize(head)) {
      const big = await this.input.read(8);
      this.position += big.length;
      const whole = new Uint8Array(8 + big.length);
      whole.set(head);
      whole.set(big, 8);
      head = whole;
    }
    try {
      // Size 0 ("to the end of the file") is refused: segments come from streams of unknown length.
      return { ...parseBoxHeader(head, offset), offset };
    } catch (err) {
      if (err instanceof BoxHeaderError) throw this.invalid(err.reason);
      throw err;
    }
  }

  private async readBody(box: { type: string; offset: number; size: number; headerSize: number }, what: string): Promise<Uint8Array> {
    const length = box.size - box.headerSize;
    if (length > MAX_HEADER_BOX) throw this.invalid(`its ${what} at offset ${box.offset} is ${box.size} bytes, far more than a segment's index needs`);
    const body = await this.input.read(length);
    this.position += body.length;
    if (body.length < length) throw this.invalid(`its ${what} at offset ${box.offset} is cut off after ${body.length} of ${length} bytes (truncated?)`);
    return body;
  }

  private async skip(box: { offset: number; size: number; headerSize: number; type: string }): Promise<void> {
    let left = box.size - box.headerSize;
    while (left > 0) {
      const got = await this.input.read(Math.min(left, 1 << 20));
      this.position += got.length;
      if (got.length === 0) throw this.invalid(`its '${box.type}' at offset ${box.offset} is cut off (truncated?)`);
      left -= got.length;
    }
  }

  private parseMoov(moov: Uint8Array): SegmentHeader {
    let info: SegmentInfo | null = null;
    const traks: Uint8Array[] = [];
    let fragmented = false;
    for (const b of boxes(moov, 0, moov.length)) {
      if (b.type === 'trak') traks.push(moov.subarray(b.start, b.end));
      else if (b.type === 'uuid' && isSegmentInfoPayload(moov.subarray(b.start, b.end))) {
        info = parseSegmentInfo(moov.subarray(b.start, b.end), this.where, this.details);
      } else if (b.type === 'mvex') {
        fragmented = true;
        for (const t of boxes(moov, b.start, b.end)) {
          if (t.type !== 'trex' || t.end - t.start < 24) continue;
          this.trex = { duration: u32(moov, t.start + 12), size: u32(moov, t.start + 16), flags: u32(moov, t.start + 20) };
        }
      }
    }
    const header: SegmentHeader = {
      info,
      trackCount: traks.length,
      fragmented,
      trackId: 0,
      handler: '',
      timescale: 0,
      sampleEntry: '',
      width: 0,
      height: 0,
      avcC: null,
      colour: null,
    };
    const trak = traks[0];
    if (!trak) return header;
    const tkhd = findBox(trak, ['tkhd']);
    if (tkhd) header.trackId = u32(tkhd, tkhd[0] === 1 ? 20 : 12);
    const mdhd = findBox(trak, ['mdia', 'mdhd']);
    if (mdhd) header.timescale = u32(mdhd, mdhd[0] === 1 ? 20 : 12);
    const hdlr = findBox(trak, ['mdia', 'hdlr']);
    if (hdlr && hdlr.length >= 12) header.handler = fourcc(hdlr, 8);
    const stsd = findBox(trak, ['mdia', 'minf', 'stbl', 'stsd']);
    if (stsd && stsd.length >= 16) {
      const entry = [...boxes(stsd, 8, stsd.length)][0];
      if (entry) {
        header.sampleEntry = entry.type;
        if (entry.type === 'avc1' || entry.type === 'avc3') {
          header.width = (stsd[entry.start + 24] << 8) | stsd[entry.start + 25];
          header.height = (stsd[entry.start + 26] << 8) | stsd[entry.start + 27];
          for (const c of boxes(stsd, entry.start + 78, entry.end)) {
            if (c.type === 'avcC') header.avcC = new Uint8Array(stsd.subarray(c.start, c.end)); // a plain copy, even from a Node Buffer
            if (c.type === 'colr' && c.end - c.start >= 11 && fourcc(stsd, c.start) === 'nclx') {
              const dv = new DataView(stsd.buffer, stsd.byteOffset + c.start);
              header.colour = { primaries: dv.getUint16(4), transfer: dv.getUint16(6), matrix: dv.getUint16(8), fullRange: (stsd[c.start + 10] & 0x80) !== 0 };
            }
          }
        }
      }
    }
    return header;
  }

  /** Where each sample of `trackId` lies (absolute offsets), from one moof's trafs. */
  private parseMoof(
    moof: Uint8Array,
    moofOffset: number,
    trackId: number,
  ): { baseMediaDecodeTime: number; samples: { offset: number; size: number; duration: number; sync: boolean }[] } {
    const samples: { offset: number; size: number; duration: number; sync: boolean }[] = [];
    let baseMediaDecodeTime = 0;
    let found = false;
    for (const traf of boxes(moof, 0, moof.length)) {
      if (traf.type !== 'traf') continue;
      const kids = [...boxes(moof, traf.start, traf.end)];
      const tfhd = kids.find((k) => k.type === 'tfhd');
      if (!tfhd) throw this.invalid(`a traf at offset ${moofOffset} has no tfhd`);
      const dv = new DataView(moof.buffer, moof.byteOffset);
      const flags = u32(moof, tfhd.start) & 0xffffff;
      if (u32(moof, tfhd.start + 4) !== trackId) continue;
      found = true;
      const h = new FieldCursor(moof, tfhd.start + 8);
      // Default base: the moof's first byte (default-base-is-moof, or the first traf without one).
      const base = flags & 0x01 ? h.u64() : moofOffset;
      if (flags & 0x02) h.skip(4);
      const defDuration = flags & 0x08 ? h.u32() : this.trex.duration;
      const defSize = flags & 0x10 ? h.u32() : this.trex.size;
      const defFlags = flags & 0x20 ? h.u32() : this.trex.flags;
      const tfdt = kids.find((k) => k.type === 'tfdt');
      if (tfdt) baseMediaDecodeTime = moof[tfdt.start] === 1 ? Number(dv.getBigUint64(tfdt.start + 4)) : u32(moof, tfdt.start + 4);
      let next = base;
      for (const trun of kids.filter((k) => k.type === 'trun')) {
        const tf = u32(moof, trun.start) & 0xffffff;
        const count = u32(moof, trun.start + 4);
        const r = new FieldCursor(moof, trun.start + 8);
        let offset = tf & 0x01 ? base + r.i32() : next;
        const firstFlags = tf & 0x04 ? r.u32() : null;
        const per = (tf & 0x100 ? 4 : 0) + (tf & 0x200 ? 4 : 0) + (tf & 0x400 ? 4 : 0) + (tf & 0x800 ? 4 : 0);
        if (r.at + per * count > trun.end) throw this.invalid(`a trun at offset ${moofOffset} lists ${count} samples but is too short for them`);
        for (let i = 0; i < count; i++) {
          const duration = tf & 0x100 ? r.u32() : defDuration;
          const size = tf & 0x200 ? r.u32() : defSize;
          const sFlags = tf & 0x400 ? r.u32() : i === 0 && firstFlags !== null ? firstFlags : defFlags;
          if (tf & 0x800 && r.i32() !== 0) throw this.invalid('it has composition time offsets (B-frames), which mp4forge segments never have');
          samples.push({ offset, size, duration, sync: (sFlags & IS_NON_SYNC) === 0 });
          offset += size;
        }
        next = offset;
      }
    }
    if (!found) throw this.invalid(`the fragment at offset ${moofOffset} has no traf for track ${trackId}`);
    return { baseMediaDecodeTime, samples };
  }
}

/** Reads a segment's header; the returned reader then yields its fragments. Closes the input on failure. */
export async function openSegment(input: ForwardReader, where: string, index = 0): Promise<SegmentReader> {
  const r = new SegmentReader(input, where, index);
  try {
    await r.readHeader();
  } catch (err) {
    await input.close();
    throw err;
  }
  return r;
}

/** Reads big-endian fields one after another from `at` on. */
class FieldCursor {
  private readonly dv: DataView;

  constructor(
    b: Uint8Array,
    public at: number,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  u32(): number {
    const v = this.dv.getUint32(this.at);
    this.at += 4;
    return v;
  }

  i32(): number {
    const v = this.dv.getInt32(this.at);
    this.at += 4;
    return v;
  }

  u64(): number {
    const v = Number(this.dv.getBigUint64(this.at));
    this.at += 8;
    return v;
  }

  skip(n: number): void {
    this.at += n;
  }
}
