// Reads what an MP4 holds — layout, brand, tracks, sample and keyframe counts, edit lists — with
// mp4box's parser, independently of the code that wrote it.
//
// We walk the top-level boxes ourselves: that gives the layout (where moov sits relative to the
// first mdat) without trusting a parser flag, and lets us hand mp4box every box except mdat
// payloads, so memory stays bounded by the index, never by the media data.
import { createFile, Log, MP4BoxBuffer, type ISOFile, type Movie, type Track } from 'mp4box';
import { decodeMp3Header, readHeaderWord } from '../audio/mp3-header.js';
import { Mp4ForgeError } from '../errors.js';
import { BoxHeaderError, childBoxes, fourcc, parseBoxHeader, u32, type BoxHeader } from '../mux/box-reader.js';
import { isSegmentInfoPayload, parseSegmentInfo, type SegmentInfo } from '../mux/segment-box.js';

/**
 * Where the probe reads bytes: a file, a Blob, a buffer — or a pipe. With a known `size` reads may
 * go anywhere; with `size` undefined the source is forward-only (no read starts before the start
 * of the previous one; bytes skipped over are discarded), which is all the probe needs.
 */
export interface RandomAccessSource {
  /** Total length in bytes, or undefined for a stream of unknown length. */
  readonly size: number | undefined;
  /** Reads up to `length` bytes at `position`; returns fewer only at the end of the source. */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** How the file is laid out: moov before the media, after it, or movie fragments. */
export type Mp4ProbeLayout = 'faststart' | 'progressive' | 'fragmented';

export interface Mp4ProbeEdit {
  /** Duration of this edit in the movie timescale. */
  segmentDuration: number;
  /** Start in the track's media timescale; -1 is an empty edit (a gap). */
  mediaTime: number;
  /** Playback rate (1 for normal play). */
  mediaRate: number;
}

export interface Mp4ProbeTrack {
  id: number;
  type: 'video' | 'audio' | 'subtitles' | 'metadata';
  /** RFC 6381 codec string, e.g. `avc1.42C01F` or `mp4a.6B`. */
  codec: string;
  /** Sample entry four-character code, e.g. `avc1`, `mp4a`. */
  sampleEntry: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  /**
   * Audio channels. For MP3 this is what the first frame's header says, when the probe could read
   * it (any file or buffer; from a pipe, when the moov comes before the media); otherwise, and for
   * other codecs, the sample entry's channel count. Muxers often write the ISO template value 2
   * there for mono MP3 (ffmpeg does), so the header is the better witness.
   */
  channels?: number;
  /** Media timescale (ticks per second). */
  timescale: number;
  samples: number;
  /** Sync samples (all samples when the track has no `stss`). */
  keyframes: number;
  /** Sum of sample durations, in timescale ticks. */
  mediaDuration: number;
  /** mediaDuration in seconds. */
  durationSeconds: number;
  /** Sample payload bytes. */
  bytes: number;
  /** Average bits per second over the media duration. */
  bitrate: number;
  /** Video: frames per second, exact when all frames have the same duration. */
  frameRate?: { num: number; den: number; fps: number; constant: boolean };
  language: string;
  /** The track's edit list, or null when it has none. */
  editList: Mp4ProbeEdit[] | null;
}

export interface Mp4ProbeBox {
  type: string;
  offset: number;
  size: number;
}

export interface Mp4ProbeResult {
  kind: 'mp4';
  /** File size in bytes. */
  size: number;
  layout: Mp4ProbeLayout;
  brand: { major: string; minorVersion: number; compatible: string[] };
  /** Movie timescale (mvhd). */
  timescale: number;
  /**
   * Presentation duration in seconds: mvhd's (which includes edit lists), else mehd's for
   * fragmented files, else the longest track's media duration.
   */
  durationSeconds: number;
  /** moof boxes (0 unless fragmented). */
  fragments: number;
  /** Top-level boxes in file order. */
  boxes: Mp4ProbeBox[];
  tracks: Mp4ProbeTrack[];
  /** An mp4forge segment's record (frame range, encoder parameters), when the moov has one. */
  segment?: SegmentInfo;
}

/** Top-level box types that can start an ISO-BMFF file; used to sniff MP4 by content. */
const LEADING_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pdin', 'sidx', 'moof', 'uuid', 'meta']);

/** True when `head` (the first ≥ 8 bytes) looks like an ISO-BMFF file (MP4, MOV, M4A, fMP4 segment). */
export function looksLikeMp4(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const size = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (size !== 0 && size !== 1 && size < 8) return false;
  return LEADING_BOXES.has(fourcc(head, 4));
}

/** A {@link RandomAccessSource} over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return {
    size: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
  };
}

/** Non-mdat boxes larger than this are refused: they would be an index no real file needs. */
const MAX_INDEX_BOX = 512 * 1024 * 1024;

/**
 * Reads an MP4's structure and track index.
 *
 * @throws Mp4ForgeError `INVALID_MP4` when the input is not ISO-BMFF, a box is malformed or
 *   truncated, or there is no moov.
 */
export async function probeMp4(source: RandomAccessSource): Promise<Mp4ProbeResult> {
  const file = createFile();
  const boxes: Mp4ProbeBox[] = [];
  const parserErrors: string[] = [];
  file.onError = (module, message) => parserErrors.push(`${module}: ${message}`);

  const known = source.size;
  let pos = 0;
  let segment: SegmentInfo | undefined;
  // MP3 tracks' first frame header word, by track id: read from an mdat as the walk passes it.
  const mp3Heads = new Map<number, number>();
  for (;;) {
    if (known !== undefined && pos >= known) break;
    const head = await source.read(pos, known === undefined ? 32 : Math.min(32, known - pos));
    if (head.length === 0) break; // end of a stream of unknown length
    let box: BoxHeader;
    try {
      box = parseBoxHeader(head, pos, 0, known === undefined ? undefined : known - pos);
    } catch (err) {
      if (!(err instanceof BoxHeaderError)) throw err;
      // "Extends to the end of the file": only an mdat does this in practice, and a stream cannot tell where that is.
      throw invalid(known === undefined && u32(head, 0) === 0 ? `${err.reason}; probe the file instead` : err.reason);
    }
    const { type, size, headerSize } = box;
    const truncated = (got?: number) =>
      invalid(
        `box '${type}' at offset ${pos} declares ${size} bytes but the ${got === undefined ? 'input ends before its last byte' : `file ends after ${got}`} (truncated file?)`,
      );
    if (known !== undefined && pos + size > known) throw truncated(known - pos);
    boxes.push({ type, offset: pos, size });

    if (type === 'mdat') {
      // Only the header: mp4box records the box and seeks past it to the next buffer we append.
      append(file, copyOut(head.subarray(0, headerSize)), pos, parserErrors);
      await readMp3Heads(file, source, pos + headerSize, pos + size, mp3Heads);
      if (known === undefined && size > head.length) {
        // Forward-only: skip to the mdat's last byte, which must exist.
        const last = await source.read(pos + size - 1, 1);
        if (last.length === 0) throw truncated();
      }
    } else {
      if (size > MAX_INDEX_BOX)
        throw invalid(`box '${type}' at offset ${pos} is ${size} bytes; mp4forge does not read index boxes over ${MAX_INDEX_BOX} bytes`);
      const whole = size <= head.length ? head.subarray(0, size) : await source.read(pos, size);
      if (whole.length < size) throw truncated(whole.length);
      append(file, copyOut(whole), pos, parserErrors);
      if (type === 'moov') segment = findSegmentInfo(whole.subarray(headerSize)) ?? segment;
    }
    if (parserErrors.length > 0) throw invalid(`box '${type}' at offset ${pos} could not be parsed (${parserErrors[0]})`);
    pos += size;
  }

  if (boxes.length === 0) throw invalid('the input is empty');
  const moovAt = boxes.findIndex((b) => b.type === 'moov');
  if (moovAt < 0) {
    const kinds = [...new Set(boxes.map((b) => b.type))].join(', ');
    throw invalid(`no moov box (the index) among the top-level boxes [${kinds}]; the file is incomplete or not a movie`);
  }
  const mdatAt = boxes.findIndex((b) => b.type === 'mdat');
  const fragments = boxes.filter((b) => b.type === 'moof').length;
  const layout: Mp4ProbeLayout =
    fragments > 0 || file.getBox('mvex') !== undefined ? 'fragmented' : mdatAt < 0 || moovAt < mdatAt ? 'faststart' : 'progressive';

  let info: Movie;
  try {
    info = file.getInfo();
  } catch (err) {
    throw invalid(`the moov box is incomplete (${err instanceof Error ? err.message : String(err)})`);
  }
  // A file read at random (progressive: the index after the media) gets its first frames read now.
  if (known !== undefined) await readMp3Heads(file, source, 0, pos, mp3Heads);
  const tracks = info.tracks.map((t) => describeTrack(file, t, mp3Heads.get(t.id)));
  const mehd = file.getBox('mehd');
  let durationSeconds = info.timescale > 0 ? info.duration / info.timescale : 0;
  if (durationSeconds === 0 && mehd && info.timescale > 0) durationSeconds = mehd.fragment_duration / info.timescale;
  if (durationSeconds === 0) durationSeconds = Math.max(0, ...tracks.map((t) => t.durationSeconds));
  const ftyp = file.ftyp;
  return {
    kind: 'mp4',
    size: pos,
    layout,
    brand: ftyp
      ? { major: ftyp.major_brand, minorVersion: Number(ftyp.minor_version), compatible: [...ftyp.compatible_brands] }
      : { major: '', minorVersion: 0, compatible: [] },
    timescale: info.timescale,
    durationSeconds,
    fragments,
    boxes,
    tracks,
    ...(segment ? { segment } : {}),
  };
}

/** The segment record among a moov's children (`uuid` with mp4forge's usertype), if any. */
function findSegmentInfo(moovPayload: Uint8Array): SegmentInfo | undefined {
  for (const b of childBoxes(moovPayload, 0, moovPayload.length)) {
    const payload = moovPayload.subarray(b.start, b.end);
    if (b.type === 'uuid' && isSegmentInfoPayload(payload)) return parseSegmentInfo(payload, 'the segment');
  }
  return undefined;
}

/** Codec strings of MPEG-1/2 audio in MP4 (object type 0x6B, 0x69) and QuickTime's '.mp3' entry. */
const MP3_CODEC = /^(mp4a\.(6b|69)|\.mp3)$/i;

/**
 * Reads the header word of each MP3 track's first sample that lies in [from, to) and is not read
 * yet, in file order (a forward-only source allows nothing else). Tracks the parser knows no
 * samples of yet (no moov or moof so far) are left for a later call.
 */
async function readMp3Heads(file: ISOFile, source: RandomAccessSource, from: number, to: number, heads: Map<number, number>): Promise<void> {
  const wanted: { id: number; offset: number }[] = [];
  for (const trak of file.moov?.traks ?? []) {
    const id = trak.tkhd.track_id;
    const first = trak.samples?.[0];
    const entry = trak.mdia.minf.stbl.stsd.entries[0] as { type?: string; getCodec?: () => string } | undefined;
    const codec = entry?.getCodec?.() ?? entry?.type ?? '';
    if (heads.has(id) || !first || !MP3_CODEC.test(codec)) continue;
    if (first.offset >= from && first.offset + 4 <= to) wanted.push({ id, offset: first.offset });
  }
  wanted.sort((a, b) => a.offset - b.offset);
  for (const { id, offset } of wanted) {
    const bytes = await source.read(offset, 4);
    if (bytes.length === 4) heads.set(id, readHeaderWord(bytes, 0));
  }
}

function describeTrack(file: ISOFile, t: Track, mp3Head: number | undefined): Mp4ProbeTrack {
  const trak = file.getTrackById(t.id);
  const samples = trak.samples ?? [];
  let keyframes = 0;
  let bytes = 0;
  let mediaDuration = 0;
  let minDur = Infinity;
  let maxDur = 0;
  for (const s of samples) {
    if (s.is_sync) keyframes++;
    bytes += s.size;
    mediaDuration += s.duration;
    if (s.duration < minDur) minDur = s.duration;
    if (s.duration > maxDur) maxDur = s.duration;
  }
  const timescale = t.timescale;
  const durationSeconds = timescale > 0 ? mediaDuration / timescale : 0;
  const entry = trak.mdia.minf.stbl.stsd.entries[0] as { type?: string } | undefined;
  const track: Mp4ProbeTrack = {
    id: t.id,
    type: t.type ?? 'metadata',
    codec: t.codec,
    sampleEntry: entry?.type ?? '',
    timescale,
    samples: samples.length,
    keyframes,
    mediaDuration,
    durationSeconds,
    bytes,
    bitrate: durationSeconds > 0 ? (bytes * 8) / durationSeconds : 0,
    language: t.language,
    editList: t.edits
      ? t.edits.map((e) => {
          const edit = e as { segment_duration: number; media_time: number; media_rate_integer: number; media_rate_fraction?: number };
          return {
            segmentDuration: edit.segment_duration,
            mediaTime: edit.media_time,
            mediaRate: edit.media_rate_integer + (edit.media_rate_fraction ?? 0) / 65536,
          };
        })
      : null,
  };
  if (t.video) {
    track.width = t.video.width;
    track.height = t.video.height;
    if (samples.length > 0 && mediaDuration > 0) {
      const constant = minDur === maxDur;
      // Constant frame duration d in timescale T gives exactly T/d fps; otherwise the average.
      const [num, den] = constant ? reduce(timescale, minDur) : reduce(samples.length * timescale, mediaDuration);
      track.frameRate = { num, den, fps: num / den, constant };
    }
  }
  if (t.audio) {
    track.sampleRate = t.audio.sample_rate;
    const header = mp3Head === undefined ? null : decodeMp3Header(mp3Head);
    track.channels = header?.channels ?? t.audio.channel_count;
  }
  return track;
}

function append(file: ISOFile, bytes: ArrayBuffer, fileStart: number, errors: string[]): void {
  const buffer = MP4BoxBuffer.fromArrayBuffer(bytes, fileStart);
  // mp4box's box parser reports some problems straight to console.error instead of onError;
  // capture them for the duration of this synchronous call so they become our error instead of
  // noise on stderr (or in front of --json output).
  const logError = Log.error.bind(Log);
  Log.error = (module: string, message: string) => {
    errors.push(`${module}: ${message}`);
  };
  try {
    file.appendBuffer(buffer);
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    Log.error = logError;
  }
}

function copyOut(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function reduce(a: number, b: number): [number, number] {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return [a / x, b / x];
}


function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_MP4', message);
}
