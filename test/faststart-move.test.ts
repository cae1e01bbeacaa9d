// Faststart moves the media data behind the moov at the end, in blocks (issue 14, item 19): in
// place on a seekable sink, from the end backwards so no block overwrites data not yet moved, or by
// replaying a spool in order. Every sample here has its own bytes; after the move each one must be
// found, byte for byte, at the offset the moov gives it (read with the independent ISO-BMFF reader).
import { describe, expect, it } from 'vitest';
import { Mp4Muxer } from '../src/mux/mp4-muxer.js';
import { MemorySink } from '../src/mux/sink.js';
import type { TrackInfo } from '../src/mux/types.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { MP3_TRACK, StreamSink, VGA_VIDEO_TRACK } from './helpers/mux-tracks.js';
import { prng } from './helpers/mp3-corpus.js';

const TRACKS: TrackInfo[] = [VGA_VIDEO_TRACK, MP3_TRACK];

/** Sample `i` of `track`: its own pseudo-random bytes, a length-prefixed NAL unit for video. */
function sampleBytes(track: number, i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const rnd = prng(track * 100_003 + i + 1);
  for (let k = 0; k < size; k++) b[k] = (rnd() * 256) | 0;
  const dv = new DataView(b.buffer);
  if (track === 0) {
    dv.setUint32(0, size - 4);
    b[4] = i % 30 === 0 ? 0x65 : 0x41; // IDR / non-IDR slice
  } else {
    dv.setUint16(0, 0xfffb); // looks like an MPEG-1 Layer III header, like the real thing
  }
  return b;
}

/**
 * Muxes `seconds` of 30 fps video (`videoSize(i)` bytes per frame) and MP3-like audio into a
 * faststart file and checks every sample at its offset. Returns the media data and moov sizes.
 */
async function muxAndCheck(opts: {
  seekable: boolean;
  moveBlockBytes?: number;
  seconds: number;
  videoSize: (i: number) => number;
}): Promise<{ mediaBytes: number; moovBytes: number }> {
  const sink = opts.seekable ? new MemorySink() : new StreamSink();
  const mux = new Mp4Muxer({ layout: 'faststart', sink, tracks: TRACKS, moveBlockBytes: opts.moveBlockBytes, openSpool: async () => new MemorySink() });
  const written: Uint8Array[][] = [[], []];
  const videoCount = opts.seconds * 30;
  const audioCount = Math.ceil((opts.seconds * 44100) / 1152);
  // Audio kept just ahead of the video, as the writer does.
  for (let v = 0, a = 0; v < videoCount || a < audioCount; ) {
    if (v >= videoCount || (a < audioCount && (a * 1152) / 44100 <= (v * 1001) / 30000)) {
      const s = sampleBytes(1, a, 417 + (a % 2));
      written[1].push(s);
      await mux.addSample(1, { data: s, duration: 1152, sync: true });
      a++;
    } else {
      const s = sampleBytes(0, v, opts.videoSize(v));
      written[0].push(s);
      await mux.addSample(0, { data: s, duration: 1001, sync: v % 30 === 0 });
      v++;
    }
  }
  await mux.endTrack(0);
  await mux.endTrack(1);
  await mux.finish();
  const file = sink.data();
  const mediaBytes = written.flat().reduce((n, s) => n + s.length, 0);

  const report = assertValidIsoBmff(file);
  const top = report.boxes.map((b) => b.type);
  expect(top.slice(0, 2), 'faststart: ftyp, then moov').toEqual(['ftyp', 'moov']);
  const bad: string[] = [];
  report.tracks.forEach((t, track) => {
    expect(t.sampleCount).toBe(written[track].length);
    t.sampleOffsets.forEach((offset, i) => {
      const want = written[track][i];
      expect(t.sizes[i]).toBe(want.length);
      const got = file.subarray(offset, offset + want.length);
      if (Buffer.compare(got, want) !== 0 && bad.length < 5) bad.push(`track ${track + 1} sample ${i + 1} at ${offset}: bytes differ`);
    });
  });
  expect(bad, `${bad.length ? 'moved samples are corrupt' : ''}`).toEqual([]);
  return { mediaBytes, moovBytes: report.boxes[1].size };
}

describe('faststart moves the media data behind the moov, block by block', () => {
  for (const seekable of [true, false]) {
    const how = seekable ? 'in place (seekable sink)' : 'from the spool (stream sink)';
    it.each([
      ['smaller than the moov', 977],
      ['about the moov size', 4096],
      ['larger than the moov', 65_521],
    ])(`${how}, block %s (%i bytes): every sample intact at its offset`, async (_label, block) => {
      const { mediaBytes, moovBytes } = await muxAndCheck({ seekable, moveBlockBytes: block, seconds: 8, videoSize: (i) => 1200 + ((i * 7919) % 5000) });
      expect(mediaBytes, 'the data spans many blocks').toBeGreaterThan(8 * block);
      if (block === 977) expect(block).toBeLessThan(moovBytes);
      if (block === 65_521) expect(block).toBeGreaterThan(moovBytes);
    });
  }

  it('the real 8 MiB default, in place, with more than 8 MiB of media data', async () => {
    const { mediaBytes } = await muxAndCheck({ seekable: true, seconds: 6, videoSize: (i) => 50_000 + ((i * 7919) % 20_000) });
    expect(mediaBytes).toBeGreaterThan(1.2 * (8 << 20));
  });

  it('rejects a block size that is not a positive whole number', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => new Mp4Muxer({ layout: 'faststart', sink: new MemorySink(), tracks: TRACKS, moveBlockBytes: bad })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/moveBlockBytes must be a positive whole number/) }));
    }
  });
});
