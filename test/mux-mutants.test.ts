// Tests of the fourteenth mutation pass, on the muxers and the box code (src/mux: boxes,
// box-serialize, mp4-muxer, fragmented-muxer, sample-table, interleaver, muxer, box-reader, forward-reader).
// Files are muxed from made-up samples, each with bytes of its own, and read back by hand at the
// field offsets ISO/IEC 14496-12 gives (boxes, sample tables, fragments), 14496-14 and 14496-1
// (esds), through the box tree of the independent validator (test/helpers/iso-validate, which
// shares nothing with src/ and reports warnings as well as errors), and by ffprobe. Expected
// values come from those layouts, the spec's template values, README's "Output layouts", or are
// computed here from the samples put in, never from the muxer's own code.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mdatHeader } from '../src/mux/box-serialize.js';
import { BoxHeaderError, childBoxes, findBox, parseBoxHeader, u32 } from '../src/mux/box-reader.js';
import { FragmentedMuxer } from '../src/mux/fragmented-muxer.js';
import { bytesReader, ChunkReader } from '../src/mux/forward-reader.js';
import { Mp4Muxer } from '../src/mux/mp4-muxer.js';
import { MemorySink, type Sink } from '../src/mux/sink.js';
import type { TrackEdit, TrackInfo } from '../src/mux/types.js';
import { validateIsoBmff, type BoxNode, type IsoReport } from './helpers/iso-validate.js';
import { MP3_TRACK, StreamSink, VGA_VIDEO_TRACK } from './helpers/mux-tracks.js';
import { prng } from './helpers/mp3-corpus.js';
import { ffprobe, ffprobePackets } from './helpers/oracles.js';

const TRACKS: TrackInfo[] = [VGA_VIDEO_TRACK, MP3_TRACK];
const MP3_DURATION = 1152;

type Layout = 'progressive' | 'faststart' | 'faststart-stream' | 'fragmented';
const LAYOUTS: Layout[] = ['progressive', 'faststart', 'faststart-stream', 'fragmented'];

interface VideoSample {
  size: number;
  duration: number;
  sync: boolean;
}

/** A sample of its own pseudo-random bytes: a length-prefixed IDR or non-IDR slice for video, an MPEG-1 Layer III header for audio. */
function sampleBytes(track: number, i: number, size: number, sync: boolean): Uint8Array {
  const b = new Uint8Array(size);
  const rnd = prng(track * 1_000_003 + i * 7 + size);
  for (let k = 0; k < size; k++) b[k] = (rnd() * 256) | 0;
  const dv = new DataView(b.buffer);
  if (track === 0) {
    dv.setUint32(0, size - 4);
    b[4] = sync ? 0x65 : 0x41;
  } else dv.setUint16(0, 0xfffb);
  return b;
}

interface Muxed {
  file: Uint8Array;
  /** The bytes of every sample put in, per track. */
  written: Uint8Array[][];
  report: IsoReport;
}

/** 30 fps-like video at timescale 30000 (1001 ticks unless a plan says otherwise). */
function plainVideo(count: number, gop = 30, size = (i: number) => 600 + ((i * 37) % 200)): VideoSample[] {
  return Array.from({ length: count }, (_, i) => ({ size: size(i), duration: 1001, sync: i % gop === 0 }));
}

/**
 * Muxes `video` and `audio` (MP3 frame sizes) with the audio kept just ahead of the video by time,
 * as the writer feeds the muxer, then ends both tracks and finishes.
 */
async function mux(
  layout: Layout,
  video: VideoSample[],
  audio: number[],
  opts: { edit?: TrackEdit; chunkSeconds?: number; tracks?: TrackInfo[] } = {},
): Promise<Muxed> {
  const tracks = opts.tracks ?? TRACKS;
  const sink = layout === 'faststart-stream' ? new StreamSink() : new MemorySink();
  const m =
    layout === 'fragmented'
      ? new FragmentedMuxer({ sink, tracks })
      : new Mp4Muxer({
          layout: layout === 'progressive' ? 'progressive' : 'faststart',
          sink,
          tracks,
          chunkSeconds: opts.chunkSeconds,
          openSpool: async () => new MemorySink(),
        });
  if (opts.edit) m.setEdit(1, opts.edit);
  const written: Uint8Array[][] = [[], []];
  const vScale = tracks[0].timescale;
  const aScale = tracks[1]?.timescale ?? 1;
  let vTime = 0;
  for (let v = 0, a = 0; v < video.length || a < audio.length; ) {
    if (v >= video.length || (a < audio.length && (a * MP3_DURATION) / aScale <= vTime / vScale)) {
      const data = sampleBytes(1, a, audio[a], true);
      written[1].push(data);
      await m.addSample(1, { data, duration: MP3_DURATION, sync: true });
      a++;
    } else {
      const s = video[v];
      const data = sampleBytes(0, v, s.size, s.sync);
      written[0].push(data);
      await m.addSample(0, { data, duration: s.duration, sync: s.sync });
      vTime += s.duration;
      v++;
    }
  }
  for (let t = 0; t < tracks.length; t++) await m.endTrack(t);
  await m.finish();
  const file = sink.data();
  return { file, written, report: validateIsoBmff(file) };
}

function mp3Sizes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 417 + (i % 3 === 0 ? 1 : 0));
}

// ---- reading boxes by hand

function node(report: IsoReport, path: string): BoxNode {
  const walk = (nodes: BoxNode[]): BoxNode | undefined => {
    for (const b of nodes) {
      if (b.path === path) return b;
      if (path.startsWith(`${b.path}/`)) return walk(b.children);
    }
    return undefined;
  };
  const found = walk(report.boxes);
  if (!found) throw new Error(`no box ${path}`);
  return found;
}

/** The box's payload (after its header) as a DataView, with helpers for big-endian fields. */
interface Fields {
  dv: DataView;
  bytes: Uint8Array;
  u8: (o: number) => number;
  u16: (o: number) => number;
  i16: (o: number) => number;
  u32: (o: number) => number;
  str: (o: number, n: number) => string;
}

function payload(file: Uint8Array, b: BoxNode): Fields {
  const bytes = file.subarray(b.offset + b.headerSize, b.offset + b.size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    dv,
    bytes,
    u8: (o) => dv.getUint8(o),
    u16: (o) => dv.getUint16(o),
    i16: (o) => dv.getInt16(o),
    u32: (o) => dv.getUint32(o),
    str: (o, n) => String.fromCharCode(...bytes.subarray(o, o + n)),
  };
}

/** The entries of a full box holding `count` then rows of `width` 32-bit fields (stts, stsc, stss, stco). */
function table(file: Uint8Array, b: BoxNode, width: number): number[][] {
  const p = payload(file, b);
  const count = p.u32(4);
  expect(p.bytes.length, `${b.path}: entry_count ${count} fills the box`).toBe(8 + count * width * 4);
  return Array.from({ length: count }, (_, i) => Array.from({ length: width }, (_, k) => p.u32(8 + (i * width + k) * 4)));
}

/** Runs of equal values, as [count, value] (stts's layout). */
function runs(values: number[]): number[][] {
  const out: number[][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

const UNITY = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

describe('the boxes of every layout, field by field', () => {
  it('no validator error and no warning, in each layout, with an edit on the audio', async () => {
    for (const layout of LAYOUTS) {
      const { report } = await mux(layout, plainVideo(75), mp3Sizes(96), { edit: { mediaTime: 1105 } });
      expect({ layout, errors: report.errors, warnings: report.warnings }).toEqual({ layout, errors: [], warnings: [] });
    }
  });

  it('ftyp, mvhd, tkhd, mdhd, hdlr, vmhd/smhd and dref at their ISO/IEC 14496-12 offsets', async () => {
    for (const layout of ['progressive', 'fragmented'] as const) {
      const { file, report } = await mux(layout, plainVideo(45), mp3Sizes(60));
      const ftyp = payload(file, node(report, 'ftyp'));
      expect(ftyp.str(0, 4)).toBe('isom');
      const brands = Array.from({ length: (ftyp.bytes.length - 8) / 4 }, (_, i) => ftyp.str(8 + i * 4, 4));
      expect(brands).toContain('isom');
      // tfhd's default-base-is-moof needs brand iso5 or later (ISO/IEC 14496-12; ffmpeg's movenc
      // says "Required when using default-base-is-moof"); iso6 includes iso5.
      if (layout === 'fragmented') expect(brands.some((b) => b === 'iso5' || b === 'iso6'), brands.join(',')).toBe(true);

      // mvhd version 0: times, timescale, duration, rate 16.16, volume 8.8, 10 reserved, matrix, 24 pre_defined, next_track_ID.
      const mvhd = payload(file, node(report, 'moov/mvhd'));
      expect(mvhd.u8(0)).toBe(0);
      expect(mvhd.u32(20), 'mvhd rate 1.0').toBe(0x00010000);
      expect(mvhd.u16(24), 'mvhd volume 1.0').toBe(0x0100);
      expect(Array.from({ length: 9 }, (_, i) => mvhd.u32(36 + i * 4))).toEqual(UNITY);
      expect(mvhd.u32(96), 'next_track_ID: one more than the largest track_ID').toBe(3);

      for (const [n, kind] of [[1, 'video'], [2, 'audio']] as const) {
        const tk = payload(file, node(report, `moov/trak[${n}]/tkhd`));
        expect(tk.u8(0)).toBe(0);
        // README: tkhd enabled on every track; ISO: 1 = enabled, 2 = in movie.
        expect(tk.u32(0) & 0xffffff, `${kind} tkhd flags`).toBe(3);
        expect(tk.u32(12), 'track_ID').toBe(n);
        expect(tk.u16(32), 'layer').toBe(0);
        expect(tk.u16(34), 'alternate_group (README: 0 video, 1 audio)').toBe(kind === 'video' ? 0 : 1);
        expect(Array.from({ length: 9 }, (_, i) => tk.u32(40 + i * 4))).toEqual(UNITY);
        // width and height 16.16: the 640×480 of the track.
        expect([tk.u32(76), tk.u32(80)]).toEqual(kind === 'video' ? [640 * 65536, 480 * 65536] : [0, 0]);

        const md = payload(file, node(report, `moov/trak[${n}]/mdia/mdhd`));
        expect(md.u32(12), 'mdhd timescale').toBe(kind === 'video' ? 30000 : 44100);
        // pad bit, then ISO-639-2/T as three 5-bit letters (each minus 0x60): README's `und`.
        const lang = md.u16(20);
        expect(lang >> 15).toBe(0);
        expect(String.fromCharCode(((lang >> 10) & 31) + 0x60, ((lang >> 5) & 31) + 0x60, (lang & 31) + 0x60)).toBe('und');

        const hd = payload(file, node(report, `moov/trak[${n}]/mdia/hdlr`));
        expect(hd.str(8, 4)).toBe(kind === 'video' ? 'vide' : 'soun');
        const name = hd.bytes.subarray(24);
        expect(Buffer.from(name).toString('latin1')).toBe(`mp4forge ${kind}\0`);

        if (kind === 'video') {
          const vm = payload(file, node(report, 'moov/trak[1]/mdia/minf/vmhd'));
          expect(vm.u32(0), 'vmhd version 0, flags 1').toBe(1);
          expect([vm.u16(4), vm.u16(6), vm.u16(8), vm.u16(10)]).toEqual([0, 0, 0, 0]);
        } else {
          const sm = payload(file, node(report, 'moov/trak[2]/mdia/minf/smhd'));
          expect([sm.u32(0), sm.i16(4)]).toEqual([0, 0]);
        }
        const dref = payload(file, node(report, `moov/trak[${n}]/mdia/minf/dinf/dref`));
        expect(dref.u32(4), 'dref entry_count').toBe(1);
        const url = payload(file, node(report, `moov/trak[${n}]/mdia/minf/dinf/dref/url `));
        expect(url.u32(0), "url : flags 1, the media is in this file").toBe(1);
        expect(url.bytes.length).toBe(4);
      }
    }
  });

  it('the avc1 and mp4a sample entries: template fields, colr, pasp', async () => {
    const tracks: TrackInfo[] = [
      { ...VGA_VIDEO_TRACK, width: 320, height: 184, colour: { primaries: 9, transfer: 16, matrix: 6, fullRange: true } } as TrackInfo,
      { ...MP3_TRACK, channels: 1, sampleRate: 32000, timescale: 32000 } as TrackInfo,
    ];
    const { file, report } = await mux('progressive', plainVideo(20), mp3Sizes(20), { tracks });
    expect(report.errors).toEqual([]);
    // VisualSampleEntry: 6 reserved, data_reference_index, 16 pre_defined/reserved, width, height,
    // horizresolution, vertresolution, reserved, frame_count, compressorname[32], depth, pre_defined.
    const avc1 = payload(file, node(report, 'moov/trak[1]/mdia/minf/stbl/stsd/avc1'));
    expect(avc1.u16(6), 'data_reference_index').toBe(1);
    expect([avc1.u16(24), avc1.u16(26)]).toEqual([320, 184]);
    expect([avc1.u32(28), avc1.u32(32)], '72 dpi').toEqual([0x00480000, 0x00480000]);
    expect(avc1.u16(40), 'frame_count').toBe(1);
    expect(avc1.u16(74), 'depth').toBe(0x18);
    expect(avc1.i16(76), 'pre_defined').toBe(-1);
    const colr = payload(file, node(report, 'moov/trak[1]/mdia/minf/stbl/stsd/avc1/colr'));
    expect(colr.str(0, 4)).toBe('nclx');
    expect([colr.u16(4), colr.u16(6), colr.u16(8), colr.u8(10)]).toEqual([9, 16, 6, 0x80]);
    const pasp = payload(file, node(report, 'moov/trak[1]/mdia/minf/stbl/stsd/avc1/pasp'));
    expect([pasp.u32(0), pasp.u32(4)]).toEqual([1, 1]);
    // AudioSampleEntry: 6 reserved, data_reference_index, 8 reserved, channelcount, samplesize,
    // pre_defined, reserved, samplerate 16.16.
    const mp4a = payload(file, node(report, 'moov/trak[2]/mdia/minf/stbl/stsd/mp4a'));
    expect(mp4a.u16(6)).toBe(1);
    expect([mp4a.u16(16), mp4a.u16(18), mp4a.u32(24)]).toEqual([1, 16, 32000 * 65536]);

    // ffprobe reads the same: the colour description, a square pixel aspect, the language.
    const dir = mkdtempSync(join(tmpdir(), 'mux-mutants-'));
    try {
      const path = join(dir, 'entries.mp4');
      writeFileSync(path, file);
      const info = (await ffprobe(path)) as unknown as { streams: Record<string, unknown>[] };
      const v = info.streams.find((s) => s.codec_type === 'video') as Record<string, unknown>;
      expect(v).toMatchObject({ color_range: 'pc', color_primaries: 'bt2020', color_transfer: 'smpte2084', color_space: 'smpte170m' });
      expect(v.sample_aspect_ratio).toBe('1:1');
      for (const s of info.streams) expect((s.tags as Record<string, string>).language).toBe('und');
      for (const s of info.streams) expect((s.disposition as Record<string, number>).default).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Each sample's decode start in seconds, from the durations put in. */
function starts(durations: number[], timescale: number): number[] {
  let t = 0;
  return durations.map((d) => {
    const s = t / timescale;
    t += d;
    return s;
  });
}

/** Bytes per whole-second window [k, k+1) of decode time, as bits, and the track's average bit rate. */
function expectedRates(sizes: number[], durations: number[], timescale: number): { max: number; avg: number; buffer: number } {
  const windows = new Map<number, number>();
  starts(durations, timescale).forEach((s, i) => windows.set(Math.floor(s), (windows.get(Math.floor(s)) ?? 0) + sizes[i] * 8));
  const bits = sizes.reduce((a, b) => a + b, 0) * 8;
  const seconds = durations.reduce((a, b) => a + b, 0) / timescale;
  return { max: Math.max(...windows.values()), avg: bits / seconds, buffer: Math.max(...sizes) };
}

describe('sample tables: run-length entries, chunks, offsets', () => {
  it('stts, stss, stsz, stsc and stco hold what was put in, run-length coded where ISO allows (over 256 samples, over 64 chunks)', async () => {
    // Durations that change: runs of 1001, one 2002, 500s, and back; sync every 25 frames.
    const pattern = (i: number): number => (i % 50 < 20 ? 1001 : i % 50 === 20 ? 2002 : i % 50 < 35 ? 500 : 1001);
    const video = Array.from({ length: 300 }, (_, i) => ({ size: 300 + ((i * 53) % 400), duration: pattern(i), sync: i % 25 === 0 }));
    for (const layout of ['progressive', 'faststart', 'faststart-stream'] as const) {
      const { file, written, report } = await mux(layout, video, mp3Sizes(250), { chunkSeconds: 0.05 });
      expect(report.errors).toEqual([]);
      const stbl = (n: number, box: string): BoxNode => node(report, `moov/trak[${n}]/mdia/minf/stbl/${box}`);
      // Chunks: each is its own mdat (README), so the mdats in file order say which samples each holds.
      const mdats = report.boxes.filter((b) => b.type === 'mdat');
      expect(mdats.length).toBeGreaterThan(64 * 2);
      for (const n of [1, 2]) {
        const t = report.tracks[n - 1];
        const durations = n === 1 ? video.map((v) => v.duration) : written[1].map(() => MP3_DURATION);
        expect(table(file, stbl(n, 'stts'), 2), `track ${n} stts`).toEqual(runs(durations));
        const stsz = payload(file, stbl(n, 'stsz'));
        expect([stsz.u32(4), stsz.u32(8)], 'sample_size 0, sample_count').toEqual([0, written[n - 1].length]);
        expect(Array.from({ length: written[n - 1].length }, (_, i) => stsz.u32(12 + i * 4))).toEqual(written[n - 1].map((s) => s.length));
        // Every sample's bytes sit where the tables put them.
        const bad = t.sampleOffsets.filter((o, i) => Buffer.compare(file.subarray(o, o + written[n - 1][i].length), written[n - 1][i]) !== 0);
        expect(bad.length, `track ${n}: samples not at their offsets`).toBe(0);
        // The mdats holding this track, and how many of its samples each holds.
        const own = mdats
          .map((m) => ({ start: m.offset + m.headerSize, count: t.sampleOffsets.filter((o) => o >= m.offset + m.headerSize && o < m.offset + m.size).length }))
          .filter((c) => c.count > 0);
        expect(table(file, stbl(n, 'stco'), 1).map((r) => r[0]), `track ${n} stco: each chunk starts at its mdat's payload`).toEqual(own.map((c) => c.start));
        // stsc: one entry per run of chunks with the same samples_per_chunk, first_chunk 1-based.
        const want: number[][] = [];
        own.forEach((c, i) => {
          if (want.length === 0 || want[want.length - 1][1] !== c.count) want.push([i + 1, c.count, 1]);
        });
        expect(table(file, stbl(n, 'stsc'), 3), `track ${n} stsc`).toEqual(want);
      }
      const syncs = video.flatMap((v, i) => (v.sync ? [i + 1] : []));
      expect(table(file, stbl(1, 'stss'), 1).map((r) => r[0]), 'stss: 1-based sync sample numbers').toEqual(syncs);
      // mdhd's duration is the sum of the durations put in.
      expect(payload(file, node(report, 'moov/trak[1]/mdia/mdhd')).u32(16)).toBe(video.reduce((a, v) => a + v.duration, 0));
    }
  });
});

/** btrt (ISO/IEC 14496-12 8.5.2.2): bufferSizeDB, maxBitrate, avgBitrate. */
function btrt(file: Uint8Array, report: IsoReport): number[] {
  const p = payload(file, node(report, 'moov/trak[1]/mdia/minf/stbl/stsd/avc1/btrt'));
  expect(p.bytes.length).toBe(12);
  return [p.u32(0), p.u32(4), p.u32(8)];
}

describe('bit rates in btrt and esds', () => {
  // Video at timescale 30000 with exact 1000-tick frames, so a frame starts exactly on each second.
  const cases: [string, VideoSample[]][] = [
    // A large frame exactly at 1.000 s belongs to the window [1 s, 2 s), which is the peak.
    [
      'a peak frame starting exactly at a window edge',
      Array.from({ length: 90 }, (_, i) => ({ size: i === 30 ? 9000 : 500 + (i % 7), duration: 1000, sync: i % 30 === 0 })),
    ],
    // The last second, a partial window, holds the peak.
    [
      'the peak in the last, partial second',
      Array.from({ length: 80 }, (_, i) => ({ size: i >= 75 ? 6000 : 400 + (i % 5), duration: 1000, sync: i % 30 === 0 })),
    ],
    // Frame durations change (stts has several runs): 20 fps for 2 s, then 5 fps for 3 s with big frames.
    ['durations that change', Array.from({ length: 55 }, (_, i) => ({ size: i >= 40 ? 5000 + i : 700, duration: i < 40 ? 1500 : 6000, sync: i % 20 === 0 }))],
  ];
  it.each(cases)('%s: bufferSizeDB the largest sample, max over whole-second windows, average over the track', async (_, video) => {
    const { file, report } = await mux('progressive', video, mp3Sizes(40));
    expect(report.errors).toEqual([]);
    const want = expectedRates(video.map((v) => v.size), video.map((v) => v.duration), 30000);
    const [buffer, max, avg] = btrt(file, report);
    expect(buffer).toBe(want.buffer);
    expect(max).toBe(want.max);
    expect(Math.abs(avg - want.avg)).toBeLessThanOrEqual(0.5);
  });

  it('esds (ISO/IEC 14496-1): ES_Descriptor, DecoderConfigDescriptor with the rates, SLConfigDescriptor', async () => {
    // MP3 frames of two sizes, a bigger run in the second second.
    const audio = Array.from({ length: 100 }, (_, i) => (i >= 40 && i < 76 ? 1044 : 417));
    const { file, report } = await mux('progressive', plainVideo(10), audio);
    const p = payload(file, node(report, 'moov/trak[2]/mdia/minf/stbl/stsd/mp4a/esds'));
    const b = Array.from(p.bytes);
    expect(b.slice(0, 4), 'version 0, flags 0').toEqual([0, 0, 0, 0]);
    // ES_Descriptor: tag 3, one-byte length of the rest, ES_ID (2 bytes), flags 0.
    expect(b[4]).toBe(0x03);
    expect(b[5]).toBe(b.length - 6);
    expect(b[8], 'no streamDependence, URL or OCR stream').toBe(0);
    // DecoderConfigDescriptor: tag 4, length 13, objectTypeIndication, streamType 5 << 2 | 1, bufferSizeDB (24 bits), max, avg.
    expect(b.slice(9, 13)).toEqual([0x04, 13, 0x6b, 0x15]);
    const dv = new DataView(p.bytes.buffer, p.bytes.byteOffset + 13);
    const want = expectedRates(audio, audio.map(() => MP3_DURATION), 44100);
    expect((dv.getUint8(0) << 16) | dv.getUint16(1), 'bufferSizeDB').toBe(want.buffer);
    expect(dv.getUint32(3), 'maxBitrate').toBe(want.max);
    expect(Math.abs(dv.getUint32(7) - want.avg), 'avgBitrate').toBeLessThanOrEqual(0.5);
    // SLConfigDescriptor: tag 6, length 1, predefined 2 (reserved for use in MP4 files).
    expect(b.slice(24)).toEqual([0x06, 1, 0x02]);
  });
});

/** A sink that keeps every byte and how many had come when asked. */
class RecordingSink implements Sink {
  readonly parts: Uint8Array[] = [];
  bytes = 0;
  aborted: { incomplete?: boolean; completeBytes?: number } | null = null;
  async write(b: Uint8Array): Promise<void> {
    this.parts.push(b.slice());
    this.bytes += b.length;
  }
  async close(): Promise<void> {}
  async abort(_reason: unknown, incomplete?: boolean, completeBytes?: number): Promise<void> {
    this.aborted = { incomplete, completeBytes };
  }
  data(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

const frame = (i: number, sync: boolean): Uint8Array => sampleBytes(0, i, 500, sync);

describe('chunks: about 0.5 s each, written as soon as they are full', () => {
  it('with exact 1000-tick frames at 30000 a video chunk is 15 frames (0.5 s), an MP3 chunk the 20 frames that first reach 0.5 s', async () => {
    const video = Array.from({ length: 100 }, (_, i) => ({ size: 400 + i, duration: 1000, sync: i % 30 === 0 }));
    const { report } = await mux('progressive', video, mp3Sizes(150));
    for (const [n, per, total] of [[0, 15, 100], [1, 20, 150]] as const) {
      const spc = report.tracks[n].samplesPerChunk;
      expect(spc.slice(0, -1).every((c) => c === per), `track ${n + 1}: ${spc.join(',')}`).toBe(true);
      expect(spc.reduce((a, b) => a + b, 0)).toBe(total);
    }
  });

  it('a second of video queued before any audio still goes out in 0.5 s chunks (15 frames of exactly 1000/30000 s)', async () => {
    const sink = new MemorySink();
    const m = new Mp4Muxer({ layout: 'progressive', sink, tracks: TRACKS });
    for (let block = 0; block < 3; block++) {
      for (let i = 0; i < 30; i++) await m.addSample(0, { data: frame(block * 30 + i, i === 0), duration: 1000, sync: i === 0 });
      for (let a = 0; a < 39; a++) await m.addSample(1, { data: sampleBytes(1, block * 39 + a, 417, true), duration: MP3_DURATION, sync: true });
    }
    await m.endTrack(0);
    await m.endTrack(1);
    await m.finish();
    const r = validateIsoBmff(sink.data());
    expect(r.errors).toEqual([]);
    expect(r.tracks[0].samplesPerChunk).toEqual([15, 15, 15, 15, 15, 15]);
  });

  it('finish() without endTrack() writes every sample of every track, whichever track ran out first', async () => {
    for (const layout of ['progressive', 'faststart'] as const) {
      const sink = new MemorySink();
      const m = new Mp4Muxer({ layout, sink, tracks: TRACKS });
      for (let a = 0; a < 5; a++) await m.addSample(1, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
      for (let i = 0; i < 20; i++) await m.addSample(0, { data: frame(i, i === 0), duration: 1001, sync: i === 0 });
      await m.finish();
      const r = validateIsoBmff(sink.data());
      expect(r.errors).toEqual([]);
      expect(r.tracks.map((t) => t.sampleCount), layout).toEqual([20, 5]);
    }
  });

  it("the movie timescale follows the video track's even when the audio track comes first", async () => {
    const sink = new MemorySink();
    const m = new Mp4Muxer({ layout: 'progressive', sink, tracks: [MP3_TRACK, VGA_VIDEO_TRACK] });
    for (let a = 0; a < 40; a++) await m.addSample(0, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
    for (let i = 0; i < 30; i++) await m.addSample(1, { data: frame(i, i === 0), duration: 1001, sync: i === 0 });
    await m.finish();
    const r = validateIsoBmff(sink.data());
    expect(r.errors).toEqual([]);
    const timescale = payload(sink.data(), node(r, 'moov/mvhd')).u32(12);
    expect(timescale % 30000, `mvhd timescale ${timescale}`).toBe(0);
    expect(r.tracks[1].tkhdDuration, 'the video track lasts exactly its 30 frames').toBe((30 * 1001 * timescale) / 30000);
  });

  it('a progressive video track: the chunk goes out with the frame that fills 0.5 s, not one frame later', async () => {
    const sink = new RecordingSink();
    const m = new Mp4Muxer({ layout: 'progressive', sink, tracks: [VGA_VIDEO_TRACK] });
    let put = 0;
    for (let i = 0; i < 14; i++) {
      await m.addSample(0, { data: frame(i, i === 0), duration: 1000, sync: i === 0 });
      put += 500;
    }
    expect(sink.bytes, 'nothing before 0.5 s').toBe(0);
    await m.addSample(0, { data: frame(14, false), duration: 1000, sync: false });
    put += 500;
    const ftyp = validateIsoBmff(sink.data()).boxes[0];
    expect(ftyp.type).toBe('ftyp');
    expect(sink.bytes, 'ftyp, then an mdat of the 15 frames').toBe(ftyp.size + 8 + put);
    await m.endTrack(0);
    await m.finish();
  });
});

// ISO/IEC 14496-12 8.8.3.1 sample flags: is_leading (2 bits at 26), sample_depends_on (2 bits at 24),
// ..., sample_is_non_sync_sample (bit 16), degradation_priority (16 bits).
const DEPENDS_ON_NOTHING = 2 << 24;
const DEPENDS_ON_OTHERS = (1 << 24) | (1 << 16);

interface Traf {
  trackId: number;
  tfhdFlags: number;
  baseTime: number;
  trunFlags: number;
  durations: number[];
  sizes: number[];
  flags: number[];
  /** Absolute file offset of the first sample (moof start + data_offset). */
  dataStart: number;
}

/** Every traf of every moof, read by hand (tfhd with no optional fields, tfdt v0/v1, trun with offset, durations, sizes, flags). */
function fragments(file: Uint8Array, report: IsoReport): { sequence: number; moof: BoxNode; trafs: Traf[] }[] {
  return report.boxes
    .filter((b) => b.type === 'moof')
    .map((moof) => {
      const mfhd = payload(file, moof.children.find((c) => c.type === 'mfhd') as BoxNode);
      const trafs = moof.children
        .filter((c) => c.type === 'traf')
        .map((traf) => {
          const child = (t: string): ReturnType<typeof payload> => payload(file, traf.children.find((c) => c.type === t) as BoxNode);
          const tfhd = child('tfhd');
          const tfdt = child('tfdt');
          const trun = child('trun');
          const n = trun.u32(4);
          const rows = Array.from({ length: n }, (_, i) => [trun.u32(12 + i * 12), trun.u32(16 + i * 12), trun.u32(20 + i * 12)]);
          expect(trun.bytes.length, 'trun: count, data_offset, then 12 bytes a sample').toBe(12 + n * 12);
          expect(tfhd.bytes.length, 'tfhd: no optional field').toBe(8);
          return {
            trackId: tfhd.u32(4),
            tfhdFlags: tfhd.u32(0) & 0xffffff,
            baseTime: tfdt.u8(0) === 1 ? tfdt.u32(4) * 2 ** 32 + tfdt.u32(8) : tfdt.u32(4),
            trunFlags: trun.u32(0) & 0xffffff,
            durations: rows.map((r) => r[0]),
            sizes: rows.map((r) => r[1]),
            flags: rows.map((r) => r[2]),
            dataStart: moof.offset + trun.dv.getInt32(8),
          };
        });
      return { sequence: mfhd.u32(4), moof, trafs };
    });
}

const AUDIO_48K: TrackInfo = { ...MP3_TRACK, sampleRate: 48000, timescale: 48000 } as TrackInfo;

describe('fragments: moof, traf, tfhd, tfdt, trun', () => {
  it('one fragment per GOP with the audio that starts in it, every field read by hand', async () => {
    // GOPs of 90 frames of exactly 1000/30000 s: a GOP ends every 3 s, exactly where MP3 frame
    // 125k starts at 48 kHz (125 × 1152 = 3 × 48000), so the boundary is met exactly.
    const video = Array.from({ length: 225 }, (_, i) => ({ size: 300 + ((i * 31) % 250) + (i % 90 === 0 ? 2000 : 0), duration: 1000, sync: i % 90 === 0 }));
    const audio = mp3Sizes(313); // the last starts at 7.488 s, before the video ends (7.5 s)
    const { file, written, report } = await mux('fragmented', video, audio, { tracks: [VGA_VIDEO_TRACK, AUDIO_48K] });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    const frags = fragments(file, report);
    expect(frags.map((f) => f.sequence)).toEqual([1, 2, 3]);
    const next = [0, 0];
    const time = [0, 0];
    const positions: number[][] = [[], []];
    frags.forEach((f, k) => {
      const gopStart = k * 90;
      const gopEnd = Math.min(225, gopStart + 90);
      // Audio frames that start in [gop start, gop end) seconds: 125 a GOP; the last takes the rest.
      const audioEnd = k === 2 ? 313 : (k + 1) * 125;
      expect(f.trafs.map((t) => t.trackId)).toEqual([1, 2]);
      for (const t of f.trafs) {
        const n = t.trackId - 1;
        const [from, to] = n === 0 ? [gopStart, gopEnd] : [next[1], audioEnd];
        expect(t.tfhdFlags, 'tfhd: default-base-is-moof only').toBe(0x020000);
        expect(t.trunFlags, 'trun: data-offset, duration, size and flags present').toBe(0x000701);
        expect(t.baseTime, `fragment ${k + 1} track ${n + 1} tfdt`).toBe(time[n]);
        expect(t.sizes).toEqual(written[n].slice(from, to).map((s) => s.length));
        const durations = n === 0 ? video.slice(from, to).map((v) => v.duration) : written[1].slice(from, to).map(() => MP3_DURATION);
        expect(t.durations).toEqual(durations);
        const sync = n === 0 ? video.slice(from, to).map((v) => v.sync) : written[1].slice(from, to).map(() => true);
        expect(t.flags).toEqual(sync.map((s) => (s ? DEPENDS_ON_NOTHING : DEPENDS_ON_OTHERS)));
        // data_offset (from the moof) lands on this track's first sample; the samples follow back to back.
        let at = t.dataStart;
        for (const s of written[n].slice(from, to)) {
          expect(Buffer.compare(file.subarray(at, at + s.length), s)).toBe(0);
          positions[n].push(at);
          at += s.length;
        }
        next[n] = to;
        time[n] += durations.reduce((a, b) => a + b, 0);
      }
    });
    expect(next).toEqual([225, 313]);
    // The first traf's data starts right after the mdat header that follows the moof.
    for (const f of frags) expect(f.trafs[0].dataStart).toBe(f.moof.offset + f.moof.size + 8);

    // trex: sample description 1, no defaults (ISO/IEC 14496-12 8.8.3).
    for (const n of [1, 2]) {
      const trex = payload(file, node(report, `moov/mvex/trex[${n}]`));
      expect([trex.u32(4), trex.u32(8), trex.u32(12), trex.u32(16), trex.u32(20)]).toEqual([n, 1, 0, 0, 0]);
    }
    // mdhd's duration is 0 in the init segment; ffprobe finds every packet where the trafs put it, at its decode time.
    expect(payload(file, node(report, 'moov/trak[1]/mdia/mdhd')).u32(16)).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'mux-mutants-'));
    try {
      const path = join(dir, 'frag.mp4');
      writeFileSync(path, file);
      // Video only: the made-up MP3 frames are not real ones, and ffmpeg's MP3 parser re-frames them.
      for (const [n, select] of [[0, 'v:0']] as const) {
        const packets = await ffprobePackets(path, select);
        expect(packets.map((p) => Number(p.pos))).toEqual(positions[n]);
        expect(packets.map((p) => Number(p.size))).toEqual(written[n].map((s) => s.length));
        const scale = n === 0 ? 30000 : 48000;
        const dts = starts(n === 0 ? video.map((v) => v.duration) : written[1].map(() => MP3_DURATION), scale);
        packets.forEach((p, i) => expect(Math.abs(Number(p.dts_time) - dts[i])).toBeLessThan(1e-5));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fragment goes out once the other track reaches the GOP end exactly, not one sample later', async () => {
    const sink = new RecordingSink();
    const m = new FragmentedMuxer({ sink, tracks: [VGA_VIDEO_TRACK, AUDIO_48K] });
    for (let i = 0; i < 90; i++) await m.addSample(0, { data: sampleBytes(0, i, 500, i === 0), duration: 1000, sync: i === 0 });
    for (let a = 0; a < 125; a++) await m.addSample(1, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
    expect(sink.bytes, 'nothing before the GOP is closed').toBe(0);
    await m.addSample(0, { data: sampleBytes(0, 90, 500, true), duration: 1000, sync: true });
    const r = validateIsoBmff(sink.data());
    expect(r.boxes.map((b) => b.type)).toEqual(['ftyp', 'moov', 'moof', 'mdat']);
    expect(r.errors).toEqual([]);
    await m.abort(new Error('stop'));
    // What was complete stays: the init segment and that fragment.
    expect(sink.aborted).toEqual({ incomplete: false, completeBytes: sink.bytes });
  });

  it('audio that outlasts the video goes out in fragments of 2 s as it comes, before finish()', async () => {
    const sink = new RecordingSink();
    const m = new FragmentedMuxer({ sink, tracks: [VGA_VIDEO_TRACK, MP3_TRACK] });
    for (let i = 0; i < 30; i++) await m.addSample(0, { data: sampleBytes(0, i, 500, i === 0), duration: 1001, sync: i === 0 });
    await m.endTrack(0);
    const count = Math.ceil((9 * 44100) / MP3_DURATION);
    for (let a = 0; a < count; a++) await m.addSample(1, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
    const before = fragments(sink.data(), validateIsoBmff(sink.data())).length;
    expect(before, 'fragments written while the audio came').toBeGreaterThanOrEqual(3);
    await m.endTrack(1);
    await m.finish();
    const file = sink.data();
    const report = validateIsoBmff(file);
    expect(report.errors).toEqual([]);
    const frags = fragments(file, report);
    // First the GOP with the audio of its 1.001 s; then audio alone, each fragment the frames that start in a 2 s span.
    expect(frags[0].trafs.map((t) => t.trackId)).toEqual([1, 2]);
    // The GOP's fragment goes out with the audio that starts before the video ends (1.001 s).
    expect(frags[0].trafs[1].durations.length).toBe(Math.ceil((1.001 * 44100) / MP3_DURATION));
    const tail = frags.slice(1);
    expect(tail.every((f) => f.trafs.length === 1 && f.trafs[0].trackId === 2)).toBe(true);
    const spans = tail.map((f) => f.trafs[0].durations.length);
    const perTwoSeconds = (2 * 44100) / MP3_DURATION; // 76.6
    for (const n of spans.slice(0, -1)) expect(Math.abs(n - perTwoSeconds), spans.join(',')).toBeLessThan(1);
    expect(spans.reduce((a, b) => a + b, 0) + frags[0].trafs[1].durations.length).toBe(count);
    expect(spans.length).toBe(Math.ceil((count - frags[0].trafs[1].durations.length) / perTwoSeconds));
  });

  it('an edit with a duration keeps it in the init segment (elst segment_duration in movie ticks)', async () => {
    const { report } = await mux('fragmented', plainVideo(60), mp3Sizes(80), { edit: { mediaTime: 1105, duration: 44100 } });
    // Movie timescale: the video's 30000 (already at least 1000); one second of audio is 30000 movie ticks.
    expect(report.tracks[1].edits).toEqual([{ segmentDuration: 30000, mediaTime: 1105, mediaRate: 1 }]);
  });
});

/** A box: 32-bit size, type, payload (ISO/IEC 14496-12 4.2). */
function box(type: string, ...payloads: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(payloads);
  const b = new Uint8Array(8 + body.length);
  new DataView(b.buffer).setUint32(0, b.length);
  b.set(Buffer.from(type, 'latin1'), 4);
  b.set(body, 8);
  return b;
}

describe('box-reader: headers and child boxes at their bounds', () => {
  it('parseBoxHeader: 8 bytes are a header, 7 are not; a type with a space; sizes past 2^31 and 2^32', () => {
    expect(parseBoxHeader(box('free'), 0)).toEqual({ type: 'free', size: 8, headerSize: 8 });
    expect(() => parseBoxHeader(box('free').subarray(0, 7), 40)).toThrow(BoxHeaderError);
    expect(() => parseBoxHeader(box('free').subarray(0, 7), 40)).toThrow('7 stray bytes at offset 40, too few for a box header (8 bytes)');
    expect(parseBoxHeader(box('url '), 0).type).toBe('url ');
    const big = Uint8Array.from([0x80, 0, 0, 0x10, ...Buffer.from('mdat')]);
    expect(parseBoxHeader(big, 0).size).toBe(2 ** 31 + 16);
    // size 1: a 64-bit size follows; 4 GiB + 24.
    const large = Uint8Array.from([0, 0, 0, 1, ...Buffer.from('mdat'), 0, 0, 0, 1, 0, 0, 0, 24]);
    expect(parseBoxHeader(large, 0)).toEqual({ type: 'mdat', size: 2 ** 32 + 24, headerSize: 16 });
    for (const cut of [8, 12, 15]) expect(() => parseBoxHeader(large.subarray(0, cut), 0), `${cut} bytes`).toThrow(/cut off inside its 64-bit size/);
    // A 16-byte header declaring 12 bytes in all is smaller than itself.
    const short = large.slice();
    short.set([0, 0, 0, 0, 0, 0, 0, 12], 8);
    expect(() => parseBoxHeader(short, 0)).toThrow(/smaller than its header/);
    // size 0 runs to the end, when the end is known.
    const toEnd = box('mdat', new Uint8Array(4));
    toEnd.set([0, 0, 0, 0]);
    expect(parseBoxHeader(toEnd, 0, 0, 100).size).toBe(100);
    expect(u32(Uint8Array.from([0xff, 0xff, 0xff, 0xfe]), 0)).toBe(2 ** 32 - 2);
  });

  it('childBoxes: an 8-byte box at the very end, a box ending exactly at the end, size 0, a 64-bit size, an overrun', () => {
    const list = Buffer.concat([box('ab c', new Uint8Array(5)), box('free')]);
    expect([...childBoxes(list, 0, list.length)].map((c) => [c.type, c.offset, c.start, c.end])).toEqual([
      ['ab c', 0, 8, 13],
      ['free', 13, 21, 21],
    ]);
    const zero = Buffer.concat([box('free'), box('mdat', new Uint8Array(10))]);
    zero.writeUInt32BE(0, 8);
    expect([...childBoxes(zero, 0, zero.length)].map((c) => [c.type, c.end])).toEqual([
      ['free', 8],
      ['mdat', 26],
    ]);
    const large = Uint8Array.from([0, 0, 0, 1, ...Buffer.from('wide'), 0, 0, 0, 0, 0, 0, 0, 20, 1, 2, 3, 4]);
    expect([...childBoxes(large, 0, large.length)]).toEqual([{ type: 'wide', offset: 0, start: 16, end: 20 }]);
    const over = Buffer.concat([box('free'), box('skip', new Uint8Array(4))]);
    expect([...childBoxes(over, 0, over.length - 1)].map((c) => c.type), 'a box past the end is not taken').toEqual(['free']);
  });

  it('findBox: stsd, avc1 and mp4a fields are skipped on the way down; the last box comes whole', async () => {
    const { file } = await mux('progressive', plainVideo(10), mp3Sizes(10));
    const report = validateIsoBmff(file);
    const moov = node(report, 'moov');
    const bytes = file.subarray(moov.offset, moov.offset + moov.size);
    // findBox takes the first box of each type: the audio trak's bytes for the mp4a path.
    const trak2 = node(report, 'moov/trak[2]');
    const esds = findBox(file.subarray(trak2.offset + 8, trak2.offset + trak2.size), ['mdia', 'minf', 'stbl', 'stsd', 'mp4a', 'esds']);
    expect(esds && Array.from(esds.subarray(0, 5)), 'esds payload: version/flags, then ES_Descriptor tag 3').toEqual([0, 0, 0, 0, 3]);
    const avcC = findBox(bytes, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'avc1', 'avcC']);
    expect(avcC && avcC[0], 'configurationVersion 1').toBe(1);
    const stsd = findBox(bytes, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
    // stsd whole: version/flags, entry_count 1, then the avc1 entry's header.
    expect(stsd && Array.from(stsd.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(stsd && Buffer.from(stsd.subarray(12, 16)).toString('latin1')).toBe('avc1');
    expect(findBox(bytes, ['moov', 'trak', 'mdia', 'nope'])).toBeNull();
  });
});

describe('forward-reader: reads across chunk boundaries', () => {
  async function* chunks(parts: number[][]): AsyncGenerator<Uint8Array> {
    for (const p of parts) yield Uint8Array.from(p);
  }

  it('ChunkReader: reads within, across and past chunks, empty chunks skipped, fewer bytes only at the end', async () => {
    const r = new ChunkReader(chunks([[0, 1, 2], [], [3, 4, 5, 6], [7], [8, 9, 10, 11, 12]])[Symbol.asyncIterator]());
    const got: number[][] = [];
    for (const n of [2, 3, 1, 0, 4, 2, 5]) got.push(Array.from(await r.read(n)));
    expect(got).toEqual([[0, 1], [2, 3, 4], [5], [], [6, 7, 8, 9], [10, 11], [12]]);
    expect(Array.from(await r.read(3))).toEqual([]);
  });

  it('ChunkReader: every split of 40 bytes into reads of 1..7 gives the bytes in order', async () => {
    const data = Array.from({ length: 40 }, (_, i) => i);
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = prng(seed);
      const parts: number[][] = [];
      for (let at = 0; at < data.length; ) {
        const n = Math.min(data.length - at, (rnd() * 6) | 0);
        parts.push(data.slice(at, at + n));
        at += n;
      }
      const r = new ChunkReader(chunks(parts)[Symbol.asyncIterator]());
      const out: number[] = [];
      for (;;) {
        const b = await r.read(1 + ((rnd() * 7) | 0));
        if (b.length === 0) break;
        out.push(...b);
      }
      expect(out, `seed ${seed}`).toEqual(data);
    }
  });

  it('ChunkReader.close() returns the source iterator; bytesReader reads forward to the end', async () => {
    let returned = false;
    const source: AsyncIterator<Uint8Array> = {
      next: async () => ({ done: false, value: new Uint8Array(4) }),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    };
    const r = new ChunkReader(source);
    await r.read(2);
    await r.close();
    expect(returned).toBe(true);
    const b = bytesReader(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]));
    const reads: number[][] = [];
    for (let i = 0; i < 4; i++) reads.push(Array.from(await b.read(3)));
    expect(reads).toEqual([[1, 2, 3], [4, 5, 6], [7], []]);
  });
});

describe('the muxers around the edges', () => {
  it('mdatHeader: a 32-bit size up to 2^32 − 1 in all, then size 1 and a 64-bit largesize counting the 16-byte header', () => {
    const small = mdatHeader(2 ** 32 - 1 - 8);
    expect(Array.from(small)).toEqual([0xff, 0xff, 0xff, 0xff, ...Buffer.from('mdat')]);
    const large = mdatHeader(2 ** 32 - 8);
    expect(large.length).toBe(16);
    const dv = new DataView(large.buffer);
    expect([dv.getUint32(0), Buffer.from(large.subarray(4, 8)).toString('latin1'), Number(dv.getBigUint64(8))]).toEqual([1, 'mdat', 2 ** 32 + 8]);
  });

  it('finish() reports the bytes of the file, and abort() after finish() leaves the output alone, in each layout', async () => {
    for (const layout of ['progressive', 'faststart', 'fragmented'] as const) {
      const mem = new MemorySink();
      let aborts = 0;
      const sink: Sink = {
        write: (b) => mem.write(b),
        writeAt: (b, p) => mem.writeAt(b, p),
        readAt: (b, p) => mem.readAt(b, p),
        close: () => mem.close(),
        abort: async () => void aborts++,
      };
      const m = layout === 'fragmented' ? new FragmentedMuxer({ sink, tracks: TRACKS }) : new Mp4Muxer({ layout, sink, tracks: TRACKS });
      for (let i = 0; i < 40; i++) await m.addSample(0, { data: sampleBytes(0, i, 700, i % 30 === 0), duration: 1001, sync: i % 30 === 0 });
      for (let a = 0; a < 30; a++) await m.addSample(1, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
      const { bytes } = await m.finish();
      expect(validateIsoBmff(mem.data()).errors).toEqual([]);
      expect(bytes, layout).toBe(mem.data().length);
      expect(m.bytesWritten).toBe(bytes);
      await m.abort(new Error('late'));
      expect(aborts, `${layout}: abort after finish`).toBe(0);
    }
  });

  it('faststart to a stream: the spool is released once replayed, and when the muxer is aborted', async () => {
    for (const end of ['finish', 'abort'] as const) {
      const spools: { aborted: number; data: () => Uint8Array }[] = [];
      const openSpool = async (): Promise<Sink> => {
        const mem = new MemorySink();
        const rec = { aborted: 0, data: () => mem.data() };
        spools.push(rec);
        return { write: (b) => mem.write(b), readAt: (b, p) => mem.readAt(b, p), close: () => mem.close(), abort: async () => void rec.aborted++ };
      };
      const out = new StreamSink();
      const m = new Mp4Muxer({ layout: 'faststart', sink: out, tracks: TRACKS, openSpool });
      for (let i = 0; i < 40; i++) await m.addSample(0, { data: frame(i, i % 30 === 0), duration: 1001, sync: i % 30 === 0 });
      for (let a = 0; a < 40; a++) await m.addSample(1, { data: sampleBytes(1, a, 417, true), duration: MP3_DURATION, sync: true });
      expect(spools.length, 'media went to a spool').toBe(1);
      expect(spools[0].data().length).toBeGreaterThan(0);
      if (end === 'finish') {
        await m.finish();
        expect(validateIsoBmff(out.data()).errors).toEqual([]);
      } else await m.abort(new Error('stop'));
      expect(spools[0].aborted, end).toBe(1);
    }
  });

  it('a fragmented file with no samples is still an init segment (ftyp, moov with mvex)', async () => {
    const sink = new RecordingSink();
    const m = new FragmentedMuxer({ sink, tracks: TRACKS });
    await m.finish();
    const r = validateIsoBmff(sink.data());
    expect(r.boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(r.errors).toEqual([]);
    expect(node(r, 'moov/mvex/trex[2]').type).toBe('trex');
  });

  it('an avcC handed in as a view into a larger buffer is written as its own bytes', async () => {
    const whole = new Uint8Array((VGA_VIDEO_TRACK as { avcC: Uint8Array }).avcC.length + 9).fill(0xee);
    whole.set((VGA_VIDEO_TRACK as { avcC: Uint8Array }).avcC, 5);
    const avcC = whole.subarray(5, 5 + (VGA_VIDEO_TRACK as { avcC: Uint8Array }).avcC.length);
    const { file, report } = await mux('progressive', plainVideo(5), mp3Sizes(5), { tracks: [{ ...VGA_VIDEO_TRACK, avcC } as TrackInfo, MP3_TRACK] });
    expect(report.errors).toEqual([]);
    expect(Buffer.compare(payload(file, node(report, 'moov/trak[1]/mdia/minf/stbl/stsd/avc1/avcC')).bytes, avcC)).toBe(0);
  });
});
