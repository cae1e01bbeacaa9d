// The record a segment carries about itself: which frames it holds and how they were encoded.
//
// Format: one `uuid` box inside the segment's moov (ISO/IEC 14496-12 §4.2 user extension box):
//   size (u32) | 'uuid' | usertype (16 bytes, SEGMENT_UUID) | version (u8, = 2) | UTF-8 JSON
// The JSON is a {@link SegmentInfo}. Version 2 names the encoder backend (id and version) and
// leaves out `speed`/`temporalDenoise` when they were not set; version 1 records (mp4forge 0.1)
// are still read: h264-mp4-encoder 1.0.12 was the only encoder that wrote them. Players ignore `uuid` boxes they do not know, so a segment
// stays an ordinary fragmented MP4; mp4forge's stitcher refuses any file without this box.
import { Mp4ForgeError, type Mp4ForgeErrorDetails } from '../errors.js';

/** 899effac-ad74-400c-a44b-9c34366613c7: mp4forge's segment record. */
export const SEGMENT_UUID = Uint8Array.from([0x89, 0x9e, 0xff, 0xac, 0xad, 0x74, 0x40, 0x0c, 0xa4, 0x4b, 0x9c, 0x34, 0x36, 0x66, 0x13, 0xc7]);
export const SEGMENT_INFO_VERSION = 2;

/** What version 1 records imply: the only backend mp4forge 0.1 had. */
const V1_ENCODER = { id: 'h264-mp4-encoder', version: '1.0.12' } as const;

/** Encoder settings that must match across segments for them to form one stream. */
export interface SegmentEncoderParams {
  /** The encoder backend's id (`videoEncoder` in results) and version. */
  id: string;
  version: string;
  qp: number;
  kbps: number;
  /** Set when the render set it (else the backend's default). */
  speed?: number;
  gop: number;
  temporalDenoise?: boolean;
  /** Frames per independently encoded chunk (a whole number of GOPs). */
  chunkFrames: number;
}

/** What a segment says about itself (the JSON in its `uuid` box). */
export interface SegmentInfo {
  /** First frame (absolute index in the whole video). */
  start: number;
  /** One past the last frame. */
  end: number;
  /** Frames in the whole video, when the renderer knew it. */
  total?: number;
  width: number;
  height: number;
  fps: { num: number; den: number };
  /** Video media timescale and the duration of one frame in it. */
  timescale: number;
  frameDuration: number;
  encoder: SegmentEncoderParams;
  /** The layout stitchSegments gives the file when it is not told one (renderSegment's `stitchLayout`). */
  layout?: 'faststart' | 'progressive' | 'fragmented';
}

/** The whole `uuid` box, ready to go into a moov. */
export function segmentInfoBox(info: SegmentInfo): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(info));
  const size = 8 + 16 + 1 + json.length;
  const box = new Uint8Array(size);
  new DataView(box.buffer).setUint32(0, size);
  box.set([0x75, 0x75, 0x69, 0x64], 4); // 'uuid'
  box.set(SEGMENT_UUID, 8);
  box[24] = SEGMENT_INFO_VERSION;
  box.set(json, 25);
  return box;
}

/** True when a `uuid` box payload (after the 8-byte header) carries mp4forge's usertype. */
export function isSegmentInfoPayload(payload: Uint8Array): boolean {
  if (payload.length < 17) return false;
  for (let i = 0; i < 16; i++) if (payload[i] !== SEGMENT_UUID[i]) return false;
  return true;
}

/**
 * Reads the record from a `uuid` box payload (usertype included). `where` names the segment in
 * errors; `details` (the stitcher's segment position and source) go into them too.
 */
export function parseSegmentInfo(payload: Uint8Array, where: string, details?: Mp4ForgeErrorDetails): SegmentInfo {
  const bad = (why: string) => new Mp4ForgeError('INVALID_MP4', `${where}: unreadable mp4forge segment record: ${why}`, details ? { details } : {});
  if (!isSegmentInfoPayload(payload)) throw bad('wrong uuid');
  const version = payload[16];
  if (version !== SEGMENT_INFO_VERSION && version !== 1) throw bad(`version ${version}; this mp4forge reads versions 1 and ${SEGMENT_INFO_VERSION}`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(17)));
  } catch (err) {
    throw bad(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const o = v as Partial<SegmentInfo> | null;
  const int = (x: unknown, min = 0) => typeof x === 'number' && Number.isInteger(x) && x >= min;
  const e = o?.encoder as Partial<SegmentEncoderParams> | undefined;
  const ok =
    !!o && int(o.start) && int(o.end, 1) && (o.end as number) > (o.start as number) && (o.total === undefined || int(o.total, o.end)) &&
    int(o.width, 2) && int(o.height, 2) && !!o.fps && int(o.fps.num, 1) && int(o.fps.den, 1) &&
    int(o.timescale, 1) && int(o.frameDuration, 1) &&
    !!e && int(e.qp) && typeof e.kbps === 'number' && (e.speed === undefined || int(e.speed)) && int(e.gop, 1) &&
    (e.temporalDenoise === undefined || typeof e.temporalDenoise === 'boolean') && int(e.chunkFrames, 1) &&
    (version === 1 || (typeof e.id === 'string' && e.id.length > 0 && typeof e.version === 'string')) &&
    (o.layout === undefined || ['faststart', 'progressive', 'fragmented'].includes(o.layout));
  if (!ok) throw bad(`missing or invalid fields in ${JSON.stringify(v).slice(0, 200)}`);
  const info = o as SegmentInfo;
  return version === 1 ? { ...info, encoder: { ...V1_ENCODER, ...info.encoder } } : info;
}
