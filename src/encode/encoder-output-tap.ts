// Intercepts what libmp4v2 (inside h264-mp4-encoder) writes to its output file, so coded frames
// come out as they are produced and the encoder's in-memory file never holds the video.
//
// The output file's MEMFS node gets a private stream_ops table whose `write` parses instead of
// storing: the ftyp/free boxes and the mdat header are tracked positionally, the mdat payload is a
// stream of 4-byte-length-prefixed NAL units (one slice per frame), and whatever follows the last
// expected sample (the moov written by finalize) is kept, small, to read the real avcC from.
import { Mp4ForgeError } from '../errors.js';
import { findBox, fourcc, u32 } from '../mux/box-reader.js';
import { NAL_IDR, NAL_SLICE, parseAvcC, type AvcConfig } from './avc.js';
import type { CodedFrame } from './backend.js';
import type { EmscriptenFs } from './wasm-module.js';


interface StreamOps {
  write(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number, canOwn?: boolean): number;
  read(...args: unknown[]): number;
  [k: string]: unknown;
}

const fail = (why: string) => new Mp4ForgeError('ENCODER_FAILED', `Unexpected output from the H.264 encoder: ${why}`);

export class EncoderOutputTap {
  private head = new Uint8Array(512);
  private headLength = 0;
  private dataStart = -1;
  private streamEnd = 0;
  // NAL parsing state
  private lenBytes = new Uint8Array(4);
  private lenFill = 0;
  private current: Uint8Array | null = null;
  private currentFill = 0;
  private samplesSeen = 0;
  private expectedSamples = Infinity;
  // bytes after the last sample (moov), positional
  private tail: Uint8Array | null = null;
  private tailStart = 0;
  private tailLength = 0;
  private ready: CodedFrame[] = [];
  /** An abandoned chunk is being finalized: accept its bytes without parsing them. */
  private discarding = false;

  constructor(fs: EmscriptenFs, path: string) {
    const node = locateNode(fs, path);
    const keys = Object.keys(node);
    const sizeKey = keys.find((k) => node[k] === PROBE_SIZE);
    const opsKey = keys.find((k) => {
      const v = node[k] as Partial<StreamOps> | null;
      return v !== null && typeof v === 'object' && typeof v.write === 'function' && typeof v.read === 'function';
    });
    const dataKey = keys.find((k) => node[k] instanceof Uint8Array);
    if (!sizeKey || !opsKey || !dataKey) throw fail('this build of h264-mp4-encoder has an unrecognised file system (expected 1.0.12)');
    node[dataKey] = null;
    node[sizeKey] = 0;
    const base = node[opsKey] as StreamOps;
    const ops: StreamOps = {
      ...base,
      write: (_stream, buffer, offset, length, position) => {
        this.onWrite(buffer, offset, length, position);
        node[sizeKey] = Math.max(node[sizeKey] as number, position + length);
        return length;
      },
      read: () => {
        throw fail('libmp4v2 tried to read back its output');
      },
    };
    node[opsKey] = ops;
  }

  /** Prepares for a fresh encoder instance writing the same path from byte 0. */
  reset(): void {
    this.discarding = false;
    this.headLength = 0;
    this.dataStart = -1;
    this.streamEnd = 0;
    this.lenFill = 0;
    this.current = null;
    this.currentFill = 0;
    this.samplesSeen = 0;
    this.expectedSamples = Infinity;
    this.tail = null;
    this.tailLength = 0;
    this.ready = [];
  }

  /**
   * Swallows everything until the next reset. Finalizing an abandoned chunk must not throw from
   * inside libmp4v2 (a throw there leaves the C++ encoder half-closed and it reports the misuse).
   */
  discard(): void {
    this.discarding = true;
    this.ready = [];
  }

  /** Frames completed since the last call. */
  take(): CodedFrame[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Call before finalize: bytes after this many samples belong to the moov. */
  expect(samples: number): void {
    this.expectedSamples = samples;
  }

  /** After finalize: the avcC that libmp4v2 wrote, read from the captured moov. */
  readConfig(): AvcConfig {
    if (this.samplesSeen !== this.expectedSamples) throw fail(`expected ${this.expectedSamples} frames, got ${this.samplesSeen}`);
    if (!this.tail) throw fail('no moov after the coded frames');
    const t = this.tail.subarray(0, this.tailLength);
    const avcC = findBox(t, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'avc1', 'avcC']);
    if (!avcC) throw fail('moov has no avcC');
    return parseAvcC(avcC);
  }

  private onWrite(buffer: Uint8Array, offset: number, length: number, position: number): void {
    if (length === 0 || this.discarding) return;
    if (position < this.streamEnd) {
      // libmp4v2 seeks back to patch box sizes.
      const end = position + length;
      if (this.dataStart < 0 || position < this.dataStart) {
        if (end > this.head.length) this.growHead(end);
        this.head.set(buffer.subarray(offset, offset + Math.min(length, this.headLength - position)), position);
      } else if (this.tail && position >= this.tailStart) {
        const at = position - this.tailStart;
        if (at + length <= this.tailLength) this.tail.set(buffer.subarray(offset, offset + length), at);
      }
      if (end <= this.streamEnd) return;
      const overlap = this.streamEnd - position;
      offset += overlap;
      length -= overlap;
      position = this.streamEnd;
    }
    if (position > this.streamEnd) throw fail(`non-sequential write at ${position} (stream at ${this.streamEnd})`);
    this.streamEnd += length;
    if (this.dataStart < 0) {
      this.appendHead(buffer, offset, length);
      if (this.dataStart < 0) return;
      // Bytes of this write beyond the mdat header are payload.
      const payload = this.headLength - this.dataStart;
      this.headLength = this.dataStart;
      this.consumePayload(buffer, offset + length - payload, payload, this.dataStart);
      return;
    }
    this.consumePayload(buffer, offset, length, position);
  }

  private appendHead(buffer: Uint8Array, offset: number, length: number): void {
    if (this.headLength + length > this.head.length) this.growHead(this.headLength + length);
    this.head.set(buffer.subarray(offset, offset + length), this.headLength);
    this.headLength += length;
    // Walk top-level boxes: ftyp and free are written (and size-patched) before the mdat header.
    let o = 0;
    while (o + 8 <= this.headLength) {
      const size = u32(this.head, o);
      const type = fourcc(this.head, o + 4);
      if (type === 'mdat') {
        const header = size === 1 ? 16 : 8;
        if (o + header <= this.headLength) this.dataStart = o + header;
        return;
      }
      if (size < 8) return; // not patched yet
      o += size;
    }
  }

  private growHead(min: number): void {
    const next = new Uint8Array(Math.max(min, this.head.length * 2));
    next.set(this.head.subarray(0, this.headLength));
    this.head = next;
  }

  private consumePayload(buffer: Uint8Array, offset: number, length: number, position: number): void {
    const end = offset + length;
    while (offset < end) {
      if (this.samplesSeen >= this.expectedSamples) {
        this.appendTail(buffer, offset, end - offset, position);
        return;
      }
      if (this.current === null) {
        while (this.lenFill < 4 && offset < end) {
          this.lenBytes[this.lenFill++] = buffer[offset++];
          position++;
        }
        if (this.lenFill < 4) return;
        const b = this.lenBytes;
        const len = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
        if (len < 2 || len > 64 * 1024 * 1024) throw fail(`implausible NAL length ${len}`);
        this.current = new Uint8Array(4 + len);
        this.current.set(b, 0);
        this.currentFill = 4;
        this.lenFill = 0;
      }
      const n = Math.min(end - offset, this.current.length - this.currentFill);
      this.current.set(buffer.subarray(offset, offset + n), this.currentFill);
      this.currentFill += n;
      offset += n;
      position += n;
      if (this.currentFill === this.current.length) this.completeSample(this.current);
    }
  }

  private completeSample(data: Uint8Array): void {
    this.current = null;
    const type = data[4] & 0x1f;
    if (type !== NAL_IDR && type !== NAL_SLICE) throw fail(`NAL unit type ${type} in the sample data`);
    // first_mb_in_slice is the first ue(v) of the slice header; a leading 1 bit means 0.
    if ((data[5] & 0x80) === 0) throw fail('a frame was split into several slices');
    this.samplesSeen++;
    this.ready.push({ data, keyframe: type === NAL_IDR });
  }

  private appendTail(buffer: Uint8Array, offset: number, length: number, position: number): void {
    if (!this.tail) {
      this.tail = new Uint8Array(Math.max(4096, length));
      this.tailStart = position;
      this.tailLength = 0;
    }
    if (this.tailLength + length > this.tail.length) {
      const next = new Uint8Array(Math.max(this.tailLength + length, this.tail.length * 2));
      next.set(this.tail.subarray(0, this.tailLength));
      this.tail = next;
    }
    this.tail.set(buffer.subarray(offset, offset + length), this.tailLength);
    this.tailLength += length;
  }
}

const PROBE_SIZE = 12345;

function locateNode(fs: EmscriptenFs, path: string): Record<string, unknown> {
  // A file of a recognisable size lets us find the node's minified size/contents/ops fields.
  fs.writeFile(path, new Uint8Array(PROBE_SIZE));
  const stream = fs.open(path, 'r');
  const node = stream.node;
  fs.close(stream);
  return node;
}
