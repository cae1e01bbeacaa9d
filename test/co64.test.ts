// Past 4 GiB of media data the chunk offsets must be 64-bit. More than 4 GiB of sample bytes go
// through a sink that counts them and keeps only the moov, so the test needs no disk or memory.
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

describe('64-bit offsets', () => {
  it('a progressive file with > 4 GiB of samples uses co64 with offsets past 2^32', async () => {
    const sink = new CountingSink();
    const sps = Uint8Array.from([0x67, 0x42, 0x00, 0x28, 0xa6, 0x80, 0x78, 0x02, 0x27, 0xe5, 0x40]);
    const pps = Uint8Array.from([0x68, 0xce, 0x09, 0xc8]);
    const mux = new Mp4Muxer({
      layout: 'progressive',
      sink,
      tracks: [
        {
          kind: 'video',
          avcC: buildAvcC({ sps: [sps], pps: [pps], profile: 0x42, compatibility: 0, level: 0x28 }),
          width: 1920,
          height: 1080,
          timescale: 90000,
          colour: { primaries: 1, transfer: 13, matrix: 6, fullRange: false },
        },
      ],
    });
    // 8 MiB samples, reused: 520 of them = 4.06 GiB.
    const sample = new Uint8Array(8 << 20);
    new DataView(sample.buffer).setUint32(0, sample.length - 4);
    sample[4] = 0x65;
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
