// Past 4 GiB of media data the chunk offsets must be 64-bit. More than 4 GiB of sample bytes go
// through a sink that counts them and keeps only the moov, so the test needs no disk or memory.
// Faststart in place: media that fits 32 bits but not with the moov in front still gets co64.
import { describe, expect, it } from 'vitest';
import { Mp4Muxer } from '../src/mux/mp4-muxer.js';
import type { Sink } from '../src/mux/sink.js';
import { buildAvcC } from '../src/encode/avc.js';
import { readSampleTables } from './helpers/iso-validate.js';

class CountingSink implements Sink {
  bytes = 0;
  /** Absolute positions where each write started, for checking chunk offsets. */
  readonly writes: { at: number; length: number; head: Uint8Array }[] = [];
  async write(b: Uint8Array): Promise<void> {
    this.writes.push({ at: this.bytes, length: b.length, head: b.slice(0, Math.min(b.length, 16)) });
    this.last = b.length < 1 << 20 ? b.slice() : null;
    this.bytes += b.length;
  }
  last: Uint8Array | null = null;
  async close(): Promise<void> {}
  async abort(): Promise<void> {}
}

/**
 * A seekable sink that keeps no media: appends are logged (position and first bytes), the moov
 * written in front is kept, and reads while the media is moved return zeros.
 */
class SeekableCountingSink extends CountingSink {
  moov: Uint8Array | null = null;
  async writeAt(b: Uint8Array, position: number): Promise<void> {
    if (String.fromCharCode(...b.subarray(4, 8)) === 'moov') this.moov = b.slice();
    this.bytes = Math.max(this.bytes, position + b.length);
  }
  async readAt(into: Uint8Array, position: number): Promise<number> {
    const n = Math.max(0, Math.min(into.length, this.bytes - position));
    into.fill(0, 0, n);
    return n;
  }
}

const SPS = Uint8Array.from([0x67, 0x42, 0x00, 0x28, 0xa6, 0x80, 0x78, 0x02, 0x27, 0xe5, 0x40]);
const PPS = Uint8Array.from([0x68, 0xce, 0x09, 0xc8]);
const VIDEO_TRACK = {
  kind: 'video' as const,
  avcC: buildAvcC({ sps: [SPS], pps: [PPS], profile: 0x42, compatibility: 0, level: 0x28 }),
  width: 1920,
  height: 1080,
  timescale: 90000,
  colour: { primaries: 1, transfer: 13, matrix: 6, fullRange: false },
};

/** One length-prefixed IDR-type NAL unit of `size` bytes (its length field says size − 4). */
function nal(size: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, size - 4);
  b[4] = 0x65;
  return b;
}

describe('64-bit offsets', () => {
  it('faststart in place: media ending just under 2^32 needs co64 once the moov goes in front', async () => {
    // 511 samples of 8 MiB, one sized so that the media ends 100 bytes before 2^32, and a last
    // one of 60 bytes: the moov (kilobytes) put in front pushes that one past 2^32, so the offsets
    // must be 64-bit although the media alone fits 32 bits.
    const big = nal(8 << 20);
    const mux = async (filler: number) => {
      const sink = new SeekableCountingSink();
      const m = new Mp4Muxer({ layout: 'faststart', sink, tracks: [VIDEO_TRACK] });
      for (let i = 0; i < 511; i++) await m.addSample(0, { data: big, duration: 3000, sync: i % 30 === 0 });
      await m.addSample(0, { data: nal(filler), duration: 3000, sync: false });
      await m.addSample(0, { data: nal(60), duration: 3000, sync: false });
      await m.endTrack(0);
      const dataEnd = sink.bytes;
      await m.finish();
      return { sink, dataEnd };
    };
    const probe = await mux(1000);
    const filler = 1000 + (2 ** 32 - 100 - probe.dataEnd);
    expect(filler).toBeGreaterThan(8);
    const { sink, dataEnd } = await mux(filler);
    expect(dataEnd).toBe(2 ** 32 - 100);
    const moov = sink.moov as Uint8Array;
    expect(Buffer.from(moov).includes(Buffer.from('co64'))).toBe(true);
    expect(Buffer.from(moov).includes(Buffer.from('stco'))).toBe(false);
    const t = readSampleTables(moov)[0];
    expect(t.sampleCount).toBe(513);
    expect(t.sampleOffsets[512]).toBeGreaterThan(2 ** 32);
    // Every sample was appended at (its offset − the moov's size): the media moved by exactly that.
    const starts = new Map<number, Uint8Array>();
    for (const w of sink.writes) starts.set(w.at, w.head);
    t.sampleOffsets.forEach((off, i) => {
      const head = starts.get(off - moov.length);
      expect(head, `sample ${i} at ${off}`).toBeDefined();
      expect(new DataView((head as Uint8Array).buffer).getUint32(0)).toBe(t.sizes[i] - 4);
    });
  }, 300_000);

  it('a progressive file with > 4 GiB of samples uses co64 with offsets past 2^32', async () => {
    const sink = new CountingSink();
    const mux = new Mp4Muxer({ layout: 'progressive', sink, tracks: [VIDEO_TRACK] });
    // 8 MiB samples, reused: 520 of them = 4.06 GiB.
    const sample = nal(8 << 20);
    const count = 520;
    for (let i = 0; i < count; i++) await mux.addSample(0, { data: sample, duration: 3000, sync: i % 30 === 0 });
    await mux.endTrack(0);
    await mux.finish();
    expect(sink.bytes).toBeGreaterThan(2 ** 32);

    // The last write is the moov; parse it with the independent reader.
    const moov = sink.last as Uint8Array;
    expect(String.fromCharCode(...moov.subarray(4, 8))).toBe('moov');
    expect(Buffer.from(moov).includes(Buffer.from('co64'))).toBe(true);
    expect(Buffer.from(moov).includes(Buffer.from('stco'))).toBe(false);
    const t = readSampleTables(moov)[0];
    expect(t.sampleCount).toBe(count);
    const offsets = t.sampleOffsets;
    expect(offsets[offsets.length - 1]).toBeGreaterThan(2 ** 32);
    // Every sample offset is exactly where the counting sink saw that sample begin, and every chunk
    // starts right after an mdat header.
    const starts = new Map<number, Uint8Array>();
    for (const w of sink.writes) starts.set(w.at, w.head);
    for (const off of offsets) {
      const head = starts.get(off);
      expect(head, `no write began at sample offset ${off}`).toBeDefined();
      expect(new DataView((head as Uint8Array).buffer).getUint32(0)).toBe(sample.length - 4);
      expect((head as Uint8Array)[4]).toBe(0x65);
    }
    for (const chunk of t.chunkOffsets) {
      const header = starts.get(chunk - 8) as Uint8Array;
      expect(String.fromCharCode(...header.subarray(4, 8))).toBe('mdat');
    }
  }, 300_000);
});
