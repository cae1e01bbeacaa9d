// Pure builders for the ISO-BMFF box tree, on mp4box's box classes.
import { BoxParser, type Box, type SampleEntry } from 'mp4box';
import { rawBox } from './box-serialize.js';
import type { SampleTable } from './sample-table.js';
import type { AudioTrackInfo, ColourInfo, TrackEdit, TrackInfo, VideoTrackInfo } from './types.js';

const B = BoxParser.box;
const SE = BoxParser.sampleEntry;

/**
 * mp4box types some table fields as number[]; its writers only index them, so the sample tables'
 * typed-array views go in as they are (no copy of a table that can hold millions of entries).
 */
function asNumbers(view: Uint32Array): number[] {
  return view as unknown as number[];
}

type ContainerType = 'moov' | 'trak' | 'edts' | 'mdia' | 'minf' | 'dinf' | 'stbl' | 'mvex' | 'moof' | 'traf';

const UNITY_MATRIX = Int32Array.of(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);
/** ISO-639-2/T 'und' packed as three 5-bit letters. */
const LANGUAGE_UND = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);

function container(type: ContainerType, children: (Box | null)[]): Box {
  const box = new B[type]();
  for (const c of children) if (c) box.addBox(c);
  return box;
}

export function ftyp(fragmented: boolean): Box {
  const b = new B.ftyp();
  b.major_brand = 'isom';
  b.minor_version = 0x200;
  b.compatible_brands = fragmented ? ['isom', 'iso2', 'iso6', 'avc1', 'mp41'] : ['isom', 'iso2', 'avc1', 'mp41'];
  return b;
}

export function mvhd(timescale: number, duration: number, nextTrackId: number): Box {
  const b = new B.mvhd();
  b.creation_time = 0;
  b.modification_time = 0;
  b.timescale = timescale;
  b.duration = duration;
  b.rate = 0x00010000;
  b.volume = 1;
  b.matrix = UNITY_MATRIX;
  b.next_track_id = nextTrackId;
  return b;
}

export interface TrakParams {
  trackId: number;
  info: TrackInfo;
  table: SampleTable;
  /** Track duration in the movie timescale (tkhd). */
  movieDuration: number;
  /** Edit in media timescale, with the segment duration given in movie ticks. */
  edit?: { mediaTime: number; segmentDuration: number };
  /** Fragmented init segment: empty sample tables. */
  fragmented: boolean;
  /** Use 64-bit chunk offsets. */
  co64: boolean;
}

export function trak(p: TrakParams): Box {
  const video = p.info.kind === 'video';
  const tk = new B.tkhd();
  tk.flags = 3; // enabled + in movie (Apple players ignore tracks without "enabled")
  tk.creation_time = 0;
  tk.modification_time = 0;
  tk.track_id = p.trackId;
  tk.duration = p.movieDuration;
  tk.layer = 0;
  tk.alternate_group = video ? 0 : 1;
  tk.volume = video ? 0 : 1;
  tk.matrix = UNITY_MATRIX;
  tk.width = video ? (p.info as VideoTrackInfo).width * 65536 : 0;
  tk.height = video ? (p.info as VideoTrackInfo).height * 65536 : 0;

  let edts: Box | null = null;
  if (p.edit) {
    const elst = new B.elst();
    elst.entries = [{ segment_duration: p.edit.segmentDuration, media_time: p.edit.mediaTime, media_rate_integer: 1, media_rate_fraction: 0 }];
    edts = container('edts', [elst]);
  }

  const md = new B.mdhd();
  md.creation_time = 0;
  md.modification_time = 0;
  md.timescale = p.info.timescale;
  md.duration = p.fragmented ? 0 : p.table.duration;
  md.language = LANGUAGE_UND;

  const hd = new B.hdlr();
  hd.handler = video ? 'vide' : 'soun';
  hd.name = p.info.name ?? (video ? 'mp4forge video' : 'mp4forge audio');

  let mediaHeader: Box;
  if (video) {
    const vmhd = new B.vmhd();
    vmhd.flags = 1;
    vmhd.graphicsmode = 0;
    vmhd.opcolor = [0, 0, 0];
    mediaHeader = vmhd;
  } else {
    const smhd = new B.smhd();
    smhd.balance = 0;
    mediaHeader = smhd;
  }

  const url = new B['url ']();
  url.flags = 1; // media data in this file
  const dref = new B.dref();
  dref.entries = [url];
  const dinf = container('dinf', [dref]);

  const minf = container('minf', [mediaHeader, dinf, stbl(p)]);
  const mdia = container('mdia', [md, hd, minf]);
  return container('trak', [tk, edts, mdia]);
}

function stbl(p: TrakParams): Box {
  const t = p.table;
  const stsd = new B.stsd();
  stsd.entries = [p.info.kind === 'video' ? avc1(p.info, t, p.fragmented) : mp4a(p.info, p.trackId, t)];

  const stts = new B.stts();
  stts.sample_counts = Array.from(t.sttsCounts.view());
  stts.sample_deltas = Array.from(t.sttsDeltas.view());

  const stsc = new B.stsc();
  const runs = t.stscFirstChunk.length;
  stsc.first_chunk = Array.from(t.stscFirstChunk.view());
  stsc.samples_per_chunk = Array.from(t.stscSamplesPerChunk.view());
  stsc.sample_description_index = new Array<number>(runs).fill(1);

  const stsz = new B.stsz();
  stsz.sample_size = 0;
  stsz.sample_sizes = asNumbers(t.sizes.view());

  let offsets: Box;
  if (p.co64) {
    const co64 = new B.co64();
    co64.chunk_offsets = Array.from(t.chunkOffsets.view());
    offsets = co64;
  } else {
    const stco = new B.stco();
    stco.chunk_offsets = asNumbers(Uint32Array.from(t.chunkOffsets.view()));
    offsets = stco;
  }

  let stss: Box | null = null;
  if (p.info.kind === 'video' && !p.fragmented && !t.allSync) {
    const box = new B.stss();
    box.sample_numbers = asNumbers(t.syncSamples.view());
    stss = box;
  }
  return container('stbl', [stsd, stts, stss, stsc, stsz, offsets]);
}

function avc1(info: VideoTrackInfo, t: SampleTable, fragmented: boolean): SampleEntry {
  const e = new SE.avc1();
  e.data_reference_index = 1;
  e.width = info.width;
  e.height = info.height;
  e.horizresolution = 0x00480000; // 72 dpi
  e.vertresolution = 0x00480000;
  e.frame_count = 1;
  e.compressorname = '';
  e.depth = 0x18;
  e.addBox(rawBox('avcC', info.avcC));
  e.addBox(rawBox('colr', colrPayload(info.colour)));
  e.addBox(rawBox('pasp', u32s(1, 1)));
  e.addBox(rawBox('btrt', btrtPayload(t, info.timescale, fragmented)));
  return e;
}

function mp4a(info: AudioTrackInfo, trackId: number, t: SampleTable): SampleEntry {
  const e = new SE.mp4a();
  e.data_reference_index = 1;
  e.channel_count = info.channels;
  e.samplesize = 16;
  e.samplerate = info.sampleRate;
  const { avg, max, buffer } = bitrates(t, info.timescale);
  e.addBox(rawBox('esds', esdsPayload(trackId, info.objectTypeIndication, buffer, max, avg)));
  return e;
}

/** `colr` with colour_type 'nclx'. */
export function colrPayload(c: ColourInfo): Uint8Array {
  const p = new Uint8Array(11);
  const dv = new DataView(p.buffer);
  p.set([0x6e, 0x63, 0x6c, 0x78]); // 'nclx'
  dv.setUint16(4, c.primaries);
  dv.setUint16(6, c.transfer);
  dv.setUint16(8, c.matrix);
  p[10] = c.fullRange ? 0x80 : 0;
  return p;
}

function u32s(...values: number[]): Uint8Array {
  const p = new Uint8Array(values.length * 4);
  const dv = new DataView(p.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
  return p;
}

/** Average bitrate over the track and the peak over whole-second windows, in bit/s. */
function bitrates(t: SampleTable, timescale: number): { avg: number; max: number; buffer: number } {
  if (t.sampleCount === 0 || t.duration === 0) return { avg: 0, max: 0, buffer: 0 };
  const avg = Math.round((t.totalBytes * 8 * timescale) / t.duration);
  let max = 0;
  let windowBytes = 0;
  let windowEnd = timescale;
  let time = 0;
  const sizes = t.sizes.view();
  let run = 0;
  let runLeft = t.sttsCounts.data[0];
  for (let i = 0; i < sizes.length; i++) {
    if (time >= windowEnd) {
      max = Math.max(max, windowBytes * 8);
      windowBytes = 0;
      windowEnd += timescale;
    }
    windowBytes += sizes[i];
    time += t.sttsDeltas.data[run];
    if (--runLeft === 0 && run + 1 < t.sttsCounts.length) runLeft = t.sttsCounts.data[++run];
  }
  max = Math.max(max, windowBytes * 8, avg);
  return { avg, max, buffer: t.maxSampleSize };
}

function btrtPayload(t: SampleTable, timescale: number, fragmented: boolean): Uint8Array {
  if (fragmented) return u32s(0, 0, 0);
  const { avg, max, buffer } = bitrates(t, timescale);
  return u32s(buffer, max, avg);
}

/** ES_Descriptor for MP3 in MP4: no DecoderSpecificInfo, stream type audio. */
export function esdsPayload(esId: number, objectTypeIndication: number, bufferSize: number, maxBitrate: number, avgBitrate: number): Uint8Array {
  const decoderConfig = [
    0x04, 13,
    objectTypeIndication,
    0x15, // streamType 5 (audio) << 2 | upStream 0 | reserved 1
    (bufferSize >> 16) & 0xff, (bufferSize >> 8) & 0xff, bufferSize & 0xff,
    ...be32(maxBitrate),
    ...be32(avgBitrate),
  ];
  const slConfig = [0x06, 1, 0x02];
  const esBody = [(esId >> 8) & 0xff, esId & 0xff, 0x00, ...decoderConfig, ...slConfig];
  return Uint8Array.from([0, 0, 0, 0, 0x03, esBody.length, ...esBody]);
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function moov(parts: { timescale: number; duration: number; traks: Box[]; mvex?: Box; extra?: Box[] }): Box {
  return container('moov', [mvhd(parts.timescale, parts.duration, parts.traks.length + 1), ...parts.traks, parts.mvex ?? null, ...(parts.extra ?? [])]);
}

export function mvex(trackIds: number[]): Box {
  return container(
    'mvex',
    trackIds.map((id) => {
      const t = new B.trex();
      t.track_id = id;
      t.default_sample_description_index = 1;
      t.default_sample_duration = 0;
      t.default_sample_size = 0;
      t.default_sample_flags = 0;
      return t;
    }),
  );
}

/** Sample flags for trun: sync samples depend on nothing; others depend on earlier samples. */
export const SAMPLE_FLAGS_SYNC = 0x02000000; // sample_depends_on = 2
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000; // sample_depends_on = 1, is_non_sync_sample

export interface TrafParams {
  trackId: number;
  baseMediaDecodeTime: number;
  durations: number[];
  sizes: number[];
  flags: number[];
  /** Offset of this track's first sample from the start of the moof. */
  dataOffset: number;
}

export function moof(sequenceNumber: number, trafs: TrafParams[]): Box {
  const mf = new B.mfhd();
  mf.sequence_number = sequenceNumber;
  return container('moof', [
    mf,
    ...trafs.map((t) => {
      const th = new B.tfhd();
      th.flags = 0x020000; // default-base-is-moof
      th.track_id = t.trackId;
      const td = new B.tfdt();
      td.baseMediaDecodeTime = t.baseMediaDecodeTime;
      const tr = new B.trun();
      tr.flags = 0x000001 | 0x000100 | 0x000200 | 0x000400; // data offset, durations, sizes, flags
      tr.version = 0;
      tr.sample_count = t.sizes.length;
      tr.data_offset = t.dataOffset;
      tr.sample_duration = t.durations;
      tr.sample_size = t.sizes;
      tr.sample_flags = t.flags;
      return container('traf', [th, td, tr]);
    }),
  ]);
}

export type { TrackEdit };
