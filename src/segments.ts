// Segments: a video rendered in pieces, anywhere (other processes, machines, serverless functions),
// then stitched into one MP4 without re-encoding. Like writer.ts, this is where generate → encode
// → mux (← audio) are joined; the segment format itself lives in mux/segment-box.ts and
// mux/segment-reader.ts.
import { openFrameConverter } from './encode/frame-converter.js';
import type { EncoderId } from './encode/backend.js';
import { createEncoder } from './encode/registry.js';
import { Mp4ForgeError } from './errors.js';
import type { PatternName } from './generate/patterns.js';
import { isPatternScene, loadScene, type SceneDraw, type SceneSpec } from './generate/scene.js';
import { segmentInfoBox, type SegmentEncoderParams, type SegmentInfo } from './mux/segment-box.js';
import { bytesReader, ChunkReader, openSegment, type ForwardReader, type SegmentHeader, type SegmentReader } from './mux/segment-reader.js';
import type { Layout } from './mux/types.js';
import {
  abortedError, resolveAudioEncoding, resolveAudioLength, resolveCallback, resolveFrameCount, resolveLayout, resolveSignal, resolveVideo,
  type FrameRate, type VideoOptions,
} from './options.js';
import type { Mp4Output } from './output.js';
import { FrameLoop } from './pipeline/frame-loop.js';
import { COLOUR, MuxSession } from './pipeline/mux-session.js';
import { ProgressReporter } from './pipeline/progress.js';
import { fileChunks } from './platform/io.js';
import type { OutputResult, Progress } from './results.js';
import { segmentRange, type FrameRange } from './segment-range.js';
import type { AudioEncodeOptions, AudioInput, AudioLength } from './soundtrack.js';
import { optionsObject, refuse } from './validate.js';
import { webStreamChunks } from './web-stream.js';

export type { FrameRange } from './segment-range.js';
export type { SegmentInfo, SegmentEncoderParams } from './mux/segment-box.js';

export interface RenderSegmentOptions {
  width: number;
  height: number;
  fps: FrameRate | string;
  /**
   * What draws the frames: a scene module URL (exporting `draw(frameIndex, rgba, width, height)`),
   * a built-in pattern name, or the draw function itself (awaited when async). Frame indices are
   * absolute: frame `range.start` is drawn as index `range.start`.
   */
  scene?: SceneSpec | SceneDraw;
  /** A built-in pattern; same as `scene: name`. */
  pattern?: PatternName;
  /** Encoder settings; every segment of a video must use the same ones (and the same encoder, which must make independent chunks: 'wasm'). */
  video?: VideoOptions;
  /** The frames of this segment, e.g. from {@link segmentRange}. Give either `range` or `segment`. */
  range?: FrameRange;
  /** Segment `k` of `n` (k from 1) of `frames`, split by {@link segmentRange} with this render's GOP. */
  segment?: { k: number; n: number };
  /** Frames in the whole video: needed with `segment`, recorded in the segment (`range.end` must not exceed it). */
  frames?: number;
  /**
   * The layout stitchSegments gives the file when it is not told one (recorded in the segment;
   * the segment itself is always fragmented).
   */
  stitchLayout?: Layout;
  /** Where the segment goes: a file path, a stream, a Sink, or `{ buffer: true }` (returned in `data`). */
  output: Mp4Output;
  /** Called after each batch of frames written. */
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** A rendered segment; pass it (or its `data` / `path`) to {@link stitchSegments}. */
export interface SegmentResult extends OutputResult {
  /** The frames it holds (absolute indices). */
  range: FrameRange;
}

/** A segment to stitch: bytes, a file path (Node), a byte stream, or a {@link SegmentResult}. */
export type SegmentInput = Uint8Array | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | SegmentResult;

export interface StitchOptions {
  /** A file path, a Node Writable, a WHATWG WritableStream<Uint8Array>, a Sink, or `{ buffer: true }`. */
  output: Mp4Output;
  /** Default: the `stitchLayout` the segments recorded, else 'faststart'. */
  layout?: Layout;
  /** A soundtrack muxed in now (see `createMp4Writer`'s `audio`); it starts with the first stitched frame. */
  audio?: AudioInput;
  audioLength?: AudioLength;
  audioEncoding?: AudioEncodeOptions;
  /** Called after each fragment copied. */
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export interface StitchResult extends OutputResult {
  /** The frames of the stitched video (absolute indices). */
  range: FrameRange;
  /** Segments joined. */
  segments: number;
}

const SEGMENT_KEYS = ['width', 'height', 'fps', 'scene', 'pattern', 'video', 'range', 'segment', 'frames', 'stitchLayout', 'output', 'onProgress', 'signal'];
const STITCH_KEYS = ['output', 'layout', 'audio', 'audioLength', 'audioEncoding', 'onProgress', 'signal'] as const;

/**
 * Renders frames `range.start` … `range.end - 1` into a self-contained fragmented-MP4 segment: it
 * starts with an IDR, its decode times are those of its place in the whole video, and its moov
 * carries a record of its range, encoder and encoder parameters (a `uuid` box, see the README).
 *
 * Chunk boundaries (fresh encoder instances) stay at absolute multiples of the chunk size, so
 * a segment that starts on one (as {@link segmentRange} ranges do) holds exactly the bytes a
 * single render would produce for its frames.
 *
 * @example
 * const range = segmentRange(300, 2, 4, 60);
 * const seg = await renderSegment({ width: 640, height: 360, fps: 30, scene: 'bars', video: { gop: 60 }, range, output: { buffer: true } });
 */
export async function renderSegment(options: RenderSegmentOptions): Promise<SegmentResult> {
  const given = options as unknown as Record<string, unknown> | null;
  if (given && typeof given === 'object') {
    if (given.audio !== undefined) throw invalid('renderSegment takes no audio: audio is muxed once, by stitchSegments', 'audio');
    if (given.layout !== undefined) {
      throw invalid(
        "renderSegment has no layout: a segment is always fragmented; the stitched file's layout is stitchSegments' layout (record a default for it with stitchLayout)",
        'layout',
      );
    }
  }
  const o = optionsObject(options, '', SEGMENT_KEYS, 'renderSegment needs an options object') as unknown as RenderSegmentOptions;
  const video = resolveVideo(o.width, o.height, o.fps, o.video);
  if ((o.range === undefined) === (o.segment === undefined)) throw invalid('renderSegment needs exactly one of range {start, end} or segment {k, n}', 'range');
  let range: FrameRange;
  if (o.segment !== undefined) {
    const { k, n } = optionsObject(o.segment, 'segment', ['k', 'n']);
    if (o.frames === undefined) throw invalid('segment {k, n} needs frames (the length of the whole video) to split', 'frames');
    range = segmentRange(o.frames, k as number, n as number, video.gop);
  } else range = checkRange(o.range, o.frames);
  const stitchLayout = o.stitchLayout === undefined ? undefined : resolveLayout(o.stitchLayout, 'stitchLayout');
  if (o.scene !== undefined && o.pattern !== undefined) throw invalid('give either scene or pattern, not both', 'scene');
  const spec = o.scene ?? o.pattern;
  if (spec === undefined) throw invalid('renderSegment needs a scene (module URL, pattern name or draw function) or a pattern', 'scene');
  if (o.pattern !== undefined && !isPatternScene(o.pattern)) throw refuse('pattern', 'a built-in pattern name', o.pattern);
  if (o.output === undefined) throw refuse('output', 'a file path, a Node Writable, a WritableStream, a Sink or { buffer: true }', undefined);
  const onProgress = resolveCallback<(p: Progress) => void>(o.onProgress, 'onProgress');
  const signal = resolveSignal(o.signal);
  if (signal?.aborted) throw abortedError(signal);
  const scene: SceneDraw = typeof spec === 'function' ? spec : await loadScene(spec);
  const { width, height } = video;

  // Segments must stitch: only a backend whose chunks are independent and deterministic will do.
  const encoder = await createEncoder(video.encoder, video.params, { inWorkers: false, chunks: true });
  const p = video.params;
  const encoderRecord: SegmentEncoderParams = {
    id: encoder.backend.id,
    version: encoder.backend.version,
    qp: p.qp,
    kbps: p.kbps,
    ...(p.speed !== undefined ? { speed: p.speed } : {}),
    gop: p.gop,
    ...(p.temporalDenoise !== undefined ? { temporalDenoise: p.temporalDenoise } : {}),
    chunkFrames: video.chunkFrames,
  };
  const info: SegmentInfo = {
    start: range.start,
    end: range.end,
    ...(o.frames !== undefined ? { total: o.frames } : {}),
    width,
    height,
    fps: { num: video.fpsNum, den: video.fpsDen },
    timescale: video.timescale,
    frameDuration: video.frameDuration,
    encoder: encoderRecord,
    ...(stitchLayout ? { layout: stitchLayout } : {}),
  };
  const session = await MuxSession.open(
    {
      avc: encoder.config,
      width,
      height,
      timescale: video.timescale,
      frameDuration: video.frameDuration,
      layout: 'fragmented',
      output: o.output,
      ...(spec instanceof URL || (typeof spec === 'string' && spec.startsWith('file:')) ? { inputs: [{ what: 'scene module', path: spec }] } : {}),
      encoder: encoder.backend,
      segment: { startFrame: range.start, record: segmentInfoBox(info) },
    },
    () => encoder.close(),
  );
  const loop = new FrameLoop(encoder, video.chunkFrames, width, height, await openFrameConverter(width, height));
  const progress = new ProgressReporter(onProgress);
  const draw = (i: number, rgba: Uint8Array) => scene(i, rgba, width, height);
  try {
    for (let i = range.start; i < range.end; i++) {
      if (signal?.aborted) throw abortedError(signal);
      await session.addVideo(await loop.draw(i, draw));
      progress.report(session);
    }
    await session.addVideo(await loop.flush());
    progress.report(session);
    await loop.close();
    return { ...(await session.finish()), range };
  } catch (err) {
    await loop.close().catch(() => undefined);
    await session.abort(err);
    throw err;
  }
}

/**
 * Joins segments into one MP4 without re-encoding: checks they fit together (same encoder, avcC,
 * size, frame rate and encoder settings; contiguous frame ranges, in order), copies their samples
 * into any layout, and muxes the soundtrack in. Segments are read one fragment at a time, so
 * memory does not grow with their number or length (file paths are opened one after another).
 *
 * @throws Mp4ForgeError `SEGMENT_MISMATCH` when a segment was encoded differently (another
 *   encoder, other settings), `SEGMENT_GAP` when the ranges are not contiguous (gap, overlap,
 *   duplicate, wrong order), `INVALID_MP4` for a file that is not an mp4forge segment or is
 *   truncated. `details.segment` is the segment's position (from 1) in the list.
 *
 * @example
 * await stitchSegments(['part1.m4s', 'part2.m4s'], { audio: 'song.mp3', output: 'out.mp4' });
 */
export async function stitchSegments(segments: readonly SegmentInput[], options: StitchOptions): Promise<StitchResult> {
  const o = optionsObject(options, '', STITCH_KEYS, 'stitchSegments needs an options object with at least output') as unknown as StitchOptions;
  if (!Array.isArray(segments) || segments.length === 0) throw invalid('stitchSegments needs a non-empty array of segments', 'segments');
  const audioLength = resolveAudioLength(o.audioLength, o.audio !== undefined);
  const audioEncoding = resolveAudioEncoding(o.audioEncoding, o.audio);
  if (o.layout !== undefined) resolveLayout(o.layout);
  if (o.output === undefined) throw refuse('output', 'a file path, a Node Writable, a WritableStream, a Sink or { buffer: true }', undefined);
  const onProgress = resolveCallback<(p: Progress) => void>(o.onProgress, 'onProgress');
  const signal = resolveSignal(o.signal);
  if (signal?.aborted) throw abortedError(signal);

  const sources = segments.map((s: SegmentInput, i) => segmentSource(s, i, segments.length));
  // Pass 1: every header, before anything is written. Re-readable inputs are closed again so that
  // a thousand segment files do not mean a thousand open handles.
  const open: (SegmentReader | null)[] = [];
  const headers: (SegmentHeader & { info: SegmentInfo })[] = [];
  try {
    for (const src of sources) {
      const reader = await openSegment(await src.open(), src.name, src.index);
      open.push(reader);
      headers.push(checkSegment(reader.header, src));
      if (src.reopenable) {
        await reader.close();
        open[open.length - 1] = null;
      }
    }
    checkFit(headers, sources.map((s) => s.name));
  } catch (err) {
    await closeAll(open);
    throw err;
  }

  const first = headers[0];
  const info = first.info;
  const layout = o.layout ?? commonLayout(headers) ?? 'faststart';
  const session = await MuxSession.open(
    {
      avc: first.avcC as Uint8Array,
      width: info.width,
      height: info.height,
      timescale: info.timescale,
      frameDuration: info.frameDuration,
      colour: first.colour ?? COLOUR,
      layout,
      output: o.output,
      inputs: sources.flatMap((s) => (s.path !== undefined ? [{ what: `segment ${s.index + 1} of ${sources.length}`, path: s.path }] : [])),
      ...(o.audio !== undefined ? { audio: o.audio, audioLength, ...(audioEncoding ? { audioEncoding } : {}) } : {}),
      encoder: { id: info.encoder.id as EncoderId, version: info.encoder.version },
    },
    () => closeAll(open),
  );
  const progress = new ProgressReporter(onProgress);
  try {
    for (let i = 0; i < sources.length; i++) {
      const h = headers[i];
      const src = sources[i];
      const reader = open[i] ?? (await openSegment(await src.open(), src.name, src.index));
      open[i] = reader;
      let n = 0;
      for await (const frag of reader.fragments()) {
        if (signal?.aborted) throw abortedError(signal);
        const expected = (h.info.start + n) * h.info.frameDuration;
        if (frag.baseMediaDecodeTime !== expected) {
          throw corrupt(src, `a fragment starts at decode time ${frag.baseMediaDecodeTime}, expected ${expected} (frame ${h.info.start + n})`);
        }
        for (const s of frag.samples) {
          if (n === 0 && !s.sync) throw corrupt(src, 'its first frame is not a keyframe (IDR)');
          if (s.duration !== h.info.frameDuration) throw corrupt(src, `frame ${h.info.start + n} lasts ${s.duration} ticks, expected ${h.info.frameDuration}`);
          if (n >= h.info.end - h.info.start) throw corrupt(src, `it holds more frames than its range ${h.info.start}–${h.info.end} says`);
          n++;
        }
        await session.addVideo(frag.samples.map((s) => ({ data: s.data, keyframe: s.sync })));
        progress.report(session);
      }
      await reader.close();
      open[i] = null;
      if (n !== h.info.end - h.info.start) {
        throw corrupt(src, `its record says frames ${h.info.start}–${h.info.end} (${h.info.end - h.info.start}) but it holds ${n} (truncated?)`);
      }
    }
    const result = await session.finish();
    return { ...result, range: { start: first.info.start, end: headers[headers.length - 1].info.end }, segments: headers.length };
  } catch (err) {
    await closeAll(open);
    await session.abort(err);
    throw err;
  }
}

/** The fit checks between consecutive segments: same encoding as the first, ranges contiguous in order. */
function checkFit(headers: readonly (SegmentHeader & { info: SegmentInfo })[], names: readonly string[]): void {
  const ref = headers[0];
  const r = ref.info;
  const expectedFps = `${r.fps.num}/${r.fps.den}`;
  for (let i = 1; i < headers.length; i++) {
    const h = headers[i];
    const s = h.info;
    const mismatch = (what: string, expected: unknown, actual: unknown) =>
      new Mp4ForgeError('SEGMENT_MISMATCH', `${names[i]} does not match ${names[0]}: ${what} is ${fmt(actual)}, expected ${fmt(expected)}`, {
        details: { segment: i + 1, field: what, expected, actual },
      });
    if (s.width !== r.width || s.height !== r.height) throw mismatch('size', `${r.width}×${r.height}`, `${s.width}×${s.height}`);
    if (`${s.fps.num}/${s.fps.den}` !== expectedFps) throw mismatch('fps', expectedFps, `${s.fps.num}/${s.fps.den}`);
    if (s.timescale !== r.timescale || s.frameDuration !== r.frameDuration)
      throw mismatch('timescale', `${r.frameDuration}/${r.timescale}`, `${s.frameDuration}/${s.timescale}`);
    // The encoder first: segments of two encoders never form one stream, whatever else matches.
    const keys = [...new Set([...Object.keys(r.encoder), ...Object.keys(s.encoder)])] as (keyof SegmentEncoderParams)[];
    for (const k of keys.sort((a, b) => Number(b === 'id') - Number(a === 'id'))) {
      if (s.encoder[k] !== r.encoder[k]) throw mismatch(k === 'id' ? 'encoder' : `encoder ${k}`, r.encoder[k], s.encoder[k]);
    }
    if (!sameBytes(h.avcC as Uint8Array, ref.avcC as Uint8Array)) throw mismatch('SPS/PPS (avcC)', hex(ref.avcC as Uint8Array), hex(h.avcC as Uint8Array));
    if (s.total !== undefined && r.total !== undefined && s.total !== r.total) throw mismatch('total frames', r.total, s.total);

    const p = headers[i - 1].info;
    const span = (x: SegmentInfo) => `frames ${x.start}–${x.end - 1}`;
    const gap = (problem: string, message: string) =>
      new Mp4ForgeError('SEGMENT_GAP', message, { details: { segment: i + 1, problem, expectedStart: p.end, actualStart: s.start } });
    if (s.start === p.end) continue;
    if (s.start === p.start && s.end === p.end) throw gap('duplicate', `${names[i]} repeats ${span(s)} of ${names[i - 1]}; each range must appear once`);
    if (s.end <= p.start) {
      throw gap('order', `${names[i]} holds ${span(s)}, which come before ${span(p)} of ${names[i - 1]}: pass the segments in frame order`);
    }
    if (s.start < p.end)
      throw gap('overlap', `${names[i]} holds ${span(s)}, overlapping ${span(p)} of ${names[i - 1]}; expected it to start at frame ${p.end}`);
    throw gap(
      'gap',
      `frames ${p.end}–${s.start - 1} are missing: ${names[i - 1]} ends at frame ${p.end - 1} and ${names[i]} starts at frame ${s.start}; expected it to start at frame ${p.end}`,
    );
  }
}

/** What must hold of each segment on its own. */
function checkSegment(h: SegmentHeader, src: SegmentSource): SegmentHeader & { info: SegmentInfo } {
  if (!h.info) {
    throw new Mp4ForgeError(
      'INVALID_MP4',
      `${src.name} is not an mp4forge segment: its moov has no segment record (renderSegment or 'mp4forge render --segment' make segments)`,
      {
        details: { segment: src.index + 1, source: src.name },
      },
    );
  }
  const bad = (why: string) => corrupt(src, why);
  if (!h.fragmented) throw bad('it has no mvex (not fragmented)');
  if (h.trackCount !== 1 || h.handler !== 'vide') throw bad(`expected exactly one video track, found ${h.trackCount} track(s), the first '${h.handler}'`);
  if (h.sampleEntry !== 'avc1' || !h.avcC) throw bad(`expected an avc1 sample entry with an avcC, found '${h.sampleEntry}'`);
  if (h.width !== h.info.width || h.height !== h.info.height)
    throw bad(`its sample entry is ${h.width}×${h.height} but its record says ${h.info.width}×${h.info.height}`);
  if (h.timescale !== h.info.timescale) throw bad(`its timescale is ${h.timescale} but its record says ${h.info.timescale}`);
  return h as SegmentHeader & { info: SegmentInfo };
}

function commonLayout(headers: readonly { info: SegmentInfo }[]): Layout | undefined {
  const l = headers[0].info.layout;
  return headers.every((h) => h.info.layout === l) ? l : undefined;
}

interface SegmentSource {
  name: string;
  /** The file it is read from, if it is a file. */
  path?: string;
  /** Position in the list, from 0. */
  index: number;
  /** True when open() may be called again for a fresh pass (paths, bytes). */
  reopenable: boolean;
  open(): Promise<ForwardReader>;
}

function segmentSource(input: SegmentInput, index: number, count: number): SegmentSource {
  const label = `segment ${index + 1} of ${count}`;
  if (input instanceof Uint8Array) {
    // A Node Buffer is a Uint8Array whose slice() shares memory; view it as a plain one.
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return { name: label, index, reopenable: true, open: async () => bytesReader(bytes) };
  }
  if (typeof input === 'string') {
    if (input.length === 0) throw invalid(`${label}: an empty file path`);
    return { name: `${label} (${input})`, path: input, index, reopenable: true, open: () => fileReader(input, `${label} (${input})`) };
  }
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) {
    let used = false;
    return {
      name: label,
      index,
      reopenable: false,
      open: async () => {
        if (used) throw new Error('internal: a stream segment was opened twice');
        used = true;
        return new ChunkReader(webStreamChunks(input));
      },
    };
  }
  if (input && typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const it = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return { name: label, index, reopenable: false, open: async () => new ChunkReader(it) };
  }
  const r = input as Partial<SegmentResult> | null;
  if (r && typeof r === 'object' && r.range) {
    if (r.data instanceof Uint8Array) return segmentSource(r.data, index, count);
    if (typeof r.path === 'string') return segmentSource(r.path, index, count);
    throw invalid(`${label} is a renderSegment result without data or path (it was written to a stream); pass the bytes or the file instead`);
  }
  throw invalid(`${label} must be a Uint8Array, a file path, a ReadableStream or AsyncIterable of bytes, or a renderSegment result`);
}

async function fileReader(path: string, name: string): Promise<ForwardReader> {
  // fileChunks lives in the platform layer (src/platform/io*.ts) so the browser build never sees
  // node:fs; there it refuses file paths with UNSUPPORTED_RUNTIME.
  const chunks = fileChunks(path, name);
  // Surface a missing file now, as a clear error, rather than in the middle of reading the header.
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (err) {
    const cause = err instanceof Mp4ForgeError && err.code === 'INVALID_OPTION' ? err.cause : undefined;
    if (cause instanceof Error) throw new Mp4ForgeError('INVALID_OPTION', `cannot read ${name}: ${cause.message}`, { cause });
    throw err;
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    try {
      if (first.done) return;
      yield first.value;
      yield* chunks;
    } finally {
      await chunks.return(undefined); // closes the file even when the reader stops after the first chunk
    }
  }
  return new ChunkReader(all());
}

function checkRange(range: unknown, total: number | undefined): FrameRange {
  const r = range !== null && typeof range === 'object' ? (optionsObject(range, 'range', ['start', 'end']) as Partial<FrameRange>) : null;
  const ok = !!r && Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && (r.start as number) >= 0 && (r.end as number) > (r.start as number);
  if (!ok) throw refuse('range', '{start, end} with integers 0 ≤ start < end', range);
  if (total !== undefined) {
    resolveFrameCount(total, 'frames');
    if ((r.end as number) > total) throw invalid(`range ends at frame ${r.end}, past the video's ${total} frames`, 'range');
  }
  return { start: r.start as number, end: r.end as number };
}

function corrupt(src: SegmentSource, why: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_MP4', `${src.name} is not a valid segment: ${why}`, { details: { segment: src.index + 1, source: src.name } });
}

function invalid(message: string, option?: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message, option ? { details: { option } } : {});
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hex(b: Uint8Array): string {
  const s = [...b.subarray(0, 24)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return b.length > 24 ? `${s}… (${b.length} bytes)` : s;
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Closes the readers still open. */
async function closeAll(readers: readonly (SegmentReader | null)[]): Promise<void> {
  await Promise.all(readers.filter((r): r is SegmentReader => r !== null).map((r) => r.close()));
}
