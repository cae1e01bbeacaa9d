// Segments: a video rendered in pieces, anywhere (other processes, machines, serverless functions),
// then stitched into one MP4 without re-encoding. Like writer.ts, this is where generate → encode
// → mux (← audio) are joined; the segment format itself lives in mux/segment-box.ts and
// mux/segment-reader.ts.
import { buildAvcC } from './encode/avc.js';
import { toI420 } from './encode/convert.js';
import { chunkFramesFor, WasmH264Encoder, type CodedFrame } from './encode/h264-encoder.js';
import { Mp4ForgeError, type Mp4ForgeWarning } from './errors.js';
import type { PatternName } from './generate/patterns.js';
import { isPatternScene, loadScene, type SceneDraw, type SceneSpec } from './generate/scene.js';
import { FragmentedMuxer } from './mux/fragmented-muxer.js';
import { segmentInfoBox, type SegmentEncoderParams, type SegmentInfo } from './mux/segment-box.js';
import { bytesReader, ChunkReader, openSegment, type ForwardReader, type SegmentHeader, type SegmentReader } from './mux/segment-reader.js';
import type { Sink } from './mux/sink.js';
import type { Layout, VideoTrackInfo } from './mux/types.js';
import { resolveLayout, resolveVideo, type FrameRate, type VideoOptions } from './options.js';
import { resolveOutput, type Mp4Output } from './output.js';
import { fileChunks } from './platform/io.js';
import { webStreamChunks } from './web-stream.js';
import { segmentRange, type FrameRange } from './segment-range.js';
import { Soundtrack, type AudioEncodeOptions, type AudioInput, type AudioLength } from './soundtrack.js';
import { COLOUR, openMuxing } from './writer.js';

export type { FrameRange } from './segment-range.js';
export type { SegmentInfo, SegmentEncoderParams } from './mux/segment-box.js';

export interface RenderSegmentOptions {
  width: number;
  height: number;
  fps: FrameRate | string;
  /**
   * What draws the frames: a scene module URL (exporting `draw(frameIndex, rgba, width, height)`),
   * a built-in pattern name, or the draw function itself. Frame indices are absolute: frame
   * `range.start` is drawn as index `range.start`.
   */
  scene?: SceneSpec | SceneDraw;
  /** A built-in pattern; same as `scene: name`. */
  pattern?: PatternName;
  /** Encoder settings; every segment of a video must use the same ones. */
  video?: VideoOptions;
  /** The frames of this segment, e.g. from {@link segmentRange}. Give either `range` or `segment`. */
  range?: FrameRange;
  /** Segment `k` of `n` (k from 1) of `frames`, split by {@link segmentRange} with this render's GOP. */
  segment?: { k: number; n: number };
  /** Frames in the whole video: needed with `segment`, recorded in the segment (`range.end` must not exceed it). */
  frames?: number;
  /** Layout the stitched file should get when `stitchSegments` is not told one (recorded only). */
  layout?: Layout;
  /** Where the segment goes: a file path, a stream or a Sink. Default: returned as bytes in `data`. */
  output?: Mp4Output | 'buffer';
  signal?: AbortSignal;
}

/** A rendered segment; pass it (or its `data` / `path`) to {@link stitchSegments}. */
export interface SegmentResult {
  range: FrameRange;
  frames: number;
  bytes: number;
  /** The segment, when no `output` was given (or `output: 'buffer'`). */
  data?: Uint8Array;
  /** The file, when `output` was a path. */
  path?: string;
}

/** A segment to stitch: bytes, a file path (Node), a byte stream, or a {@link SegmentResult}. */
export type SegmentInput = Uint8Array | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | SegmentResult;

export interface StitchOptions {
  /** A file path, a Node Writable, a WHATWG WritableStream<Uint8Array>, 'buffer', or a Sink. */
  output: Mp4Output | 'buffer';
  /** Default: the layout the segments recorded, else 'faststart'. */
  layout?: Layout;
  /** A soundtrack muxed in now (see `createMp4Writer`'s `audio`); it starts with the first stitched frame. */
  audio?: AudioInput;
  audioLength?: AudioLength;
  audioEncoding?: AudioEncodeOptions;
  signal?: AbortSignal;
}

export interface StitchResult {
  /** The frames of the stitched video (absolute indices). */
  range: FrameRange;
  frames: number;
  segments: number;
  durationSeconds: number;
  audio?: { durationSeconds: number; sampleRate: number; channels: number; frames: number; warnings?: Mp4ForgeWarning[] };
  layout: Layout;
  bytes: number;
  /** The file, when `output` was 'buffer'. */
  data?: Uint8Array;
}

const VIDEO = 0;
const AUDIO = 1;

/**
 * Renders frames `range.start` … `range.end - 1` into a self-contained fragmented-MP4 segment: it
 * starts with an IDR, its decode times are those of its place in the whole video, and its moov
 * carries a record of its range and encoder parameters (a `uuid` box, see the README).
 *
 * Chunk boundaries (fresh encoder instances) stay at absolute multiples of the chunk size, so
 * a segment that starts on one (as {@link segmentRange} ranges do) holds exactly the bytes a
 * single render would produce for its frames.
 *
 * @example
 * const range = segmentRange(300, 2, 4, 60);
 * const seg = await renderSegment({ width: 640, height: 360, fps: 30, scene: 'bars', video: { gop: 60 }, range });
 */
export async function renderSegment(options: RenderSegmentOptions): Promise<SegmentResult> {
  if (!options || typeof options !== 'object') throw invalid('renderSegment needs an options object');
  const video = resolveVideo(options.width, options.height, options.fps, options.video);
  if ('audio' in options && (options as { audio?: unknown }).audio !== undefined) throw invalid('renderSegment takes no audio: audio is muxed once, by stitchSegments');
  if ((options.range === undefined) === (options.segment === undefined)) throw invalid('renderSegment needs exactly one of range {start, end} or segment {k, n}');
  let range: FrameRange;
  if (options.segment !== undefined) {
    const { k, n } = options.segment ?? {};
    if (options.frames === undefined) throw invalid('segment {k, n} needs frames (the length of the whole video) to split');
    range = segmentRange(options.frames, k, n, video.gop);
  } else range = checkRange(options.range, options.frames);
  const layout = options.layout === undefined ? undefined : resolveLayout(options.layout);
  if (options.scene !== undefined && options.pattern !== undefined) throw invalid('give either scene or pattern, not both');
  const spec = options.scene ?? options.pattern;
  if (spec === undefined) throw invalid('renderSegment needs a scene (module URL, pattern name or draw function) or a pattern');
  if (options.pattern !== undefined && !isPatternScene(options.pattern)) throw invalid(`pattern must be a built-in pattern name, got ${JSON.stringify(options.pattern)}`);
  if (options.signal?.aborted) throw aborted(options.signal);
  const draw: SceneDraw = typeof spec === 'function' ? spec : await loadScene(spec);

  const encoderParams: SegmentEncoderParams = {
    qp: video.qp,
    kbps: video.kbps,
    speed: video.speed,
    gop: video.gop,
    temporalDenoise: video.temporalDenoise,
    chunkFrames: chunkFramesFor(video.gop),
  };
  const info: SegmentInfo = {
    start: range.start,
    end: range.end,
    ...(options.frames !== undefined ? { total: options.frames } : {}),
    width: video.width,
    height: video.height,
    fps: { num: video.fpsNum, den: video.fpsDen },
    timescale: video.timescale,
    frameDuration: video.frameDuration,
    encoder: encoderParams,
    ...(layout ? { layout } : {}),
  };
  const encoder = await WasmH264Encoder.create({ ...encoderParams, width: video.width, height: video.height, fps: video.fps });
  let out;
  try {
    out = await resolveOutput(options.output ?? 'buffer');
  } catch (err) {
    encoder.close();
    throw err;
  }
  const track: VideoTrackInfo = { kind: 'video', avcC: buildAvcC(encoder.config), width: video.width, height: video.height, timescale: video.timescale, colour: COLOUR };
  // A segment cut short is of no use (the stitcher would refuse it), so a failed one is always
  // reported incomplete: a file sink deletes it.
  const sink = out.sink;
  const segmentSink: Sink = { ...bindSink(sink), abort: (reason) => sink.abort(reason, true) };
  const muxer = new FragmentedMuxer({ sink: segmentSink, tracks: [track], startTimes: [range.start * video.frameDuration], moovExtra: [segmentInfoBox(info)] });

  const mux = async (frames: CodedFrame[]) => {
    for (const f of frames) await muxer.addSample(VIDEO, { data: f.data, duration: video.frameDuration, sync: f.keyframe });
  };
  const rgba = new Uint8Array(video.width * video.height * 4);
  const yuv = new Uint8Array((video.width * video.height * 3) / 2);
  let chunkOpen = false;
  let lastYield = Date.now();
  try {
    for (let i = range.start; i < range.end; i++) {
      if (options.signal?.aborted) throw aborted(options.signal);
      // Chunks end at absolute multiples of the chunk size, wherever the segment starts.
      if (i === range.start || i % encoderParams.chunkFrames === 0) {
        if (chunkOpen) await mux(encoder.endChunk());
        await encoder.beginChunk();
        chunkOpen = true;
      }
      try {
        await draw(i, rgba, video.width, video.height);
      } catch (err) {
        throw new Mp4ForgeError('USER_CALLBACK_FAILED', `the scene's draw threw at frame ${i}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { frameIndex: i },
        });
      }
      toI420(rgba, 'rgba', video.width, video.height, yuv);
      await mux(encoder.encode(yuv));
      if (Date.now() - lastYield > 50) {
        // Encoding is synchronous WASM; give abort signals and timers a turn now and then.
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
    }
    if (chunkOpen) await mux(encoder.endChunk());
    encoder.close();
    await muxer.endTrack(VIDEO);
    const { bytes } = await muxer.finish();
    return {
      range,
      frames: range.end - range.start,
      bytes,
      ...(out.memory ? { data: out.memory.data() } : {}),
      ...(typeof options.output === 'string' && options.output !== 'buffer' ? { path: options.output } : {}),
    };
  } catch (err) {
    encoder.close();
    await muxer.abort(err).catch(() => undefined);
    throw err;
  }
}

/**
 * Joins segments into one MP4 without re-encoding: checks they fit together (same avcC, size,
 * frame rate and encoder settings; contiguous frame ranges, in order), copies their samples into
 * any layout, and muxes the soundtrack in. Segments are read one fragment at a time, so memory
 * does not grow with their number or length (file paths are opened one after another).
 *
 * @throws Mp4ForgeError `SEGMENT_MISMATCH` when a segment was encoded differently,
 *   `SEGMENT_GAP` when the ranges are not contiguous (gap, overlap, duplicate, wrong order),
 *   `INVALID_MP4` for a file that is not an mp4forge segment or is truncated.
 *
 * @example
 * await stitchSegments(['part1.m4s', 'part2.m4s'], { audio: 'song.mp3', output: 'out.mp4' });
 */
export async function stitchSegments(segments: readonly SegmentInput[], options: StitchOptions): Promise<StitchResult> {
  if (!options || typeof options !== 'object') throw invalid('stitchSegments needs an options object with at least output');
  if (!Array.isArray(segments) || segments.length === 0) throw invalid('stitchSegments needs a non-empty array of segments');
  const audioLength = options.audioLength ?? 'trim';
  if (!['trim', 'full', 'loop'].includes(audioLength)) throw invalid(`audioLength must be 'trim', 'full' or 'loop', got ${JSON.stringify(audioLength)}`);
  if (options.layout !== undefined) resolveLayout(options.layout);
  if (options.signal?.aborted) throw aborted(options.signal);

  const sources = segments.map((s, i) => segmentSource(s, i, segments.length));
  // Pass 1: every header, before anything is written. Re-readable inputs are closed again so that
  // a thousand segment files do not mean a thousand open handles.
  const open: (SegmentReader | null)[] = [];
  const headers: (SegmentHeader & { info: SegmentInfo })[] = [];
  try {
    for (const src of sources) {
      const reader = await openSegment(await src.open(), src.name);
      open.push(reader);
      headers.push(checkSegment(reader.header, src.name));
      if (src.reopenable) {
        await reader.close();
        open[open.length - 1] = null;
      }
    }
    checkFit(headers, sources.map((s) => s.name));
  } catch (err) {
    await Promise.all(open.map((r) => r?.close()));
    throw err;
  }

  const first = headers[0];
  const info = first.info;
  const layout = options.layout ?? commonLayout(headers) ?? 'faststart';
  const track: VideoTrackInfo = { kind: 'video', avcC: first.avcC as Uint8Array, width: info.width, height: info.height, timescale: info.timescale, colour: first.colour ?? COLOUR };
  const { muxer, soundtrack, memory } = await openMuxing(track, layout, { ...options, audioLength }, () => Promise.all(open.map((r) => r?.close())));

  let frames = 0;
  let audioFrames = 0;
  const feedAudio = async (seconds: number) => {
    const st = soundtrack as Soundtrack;
    while (!st.finished && st.coveredSeconds < seconds) {
      const f = await st.next();
      if (!f) {
        await muxer.endTrack(AUDIO);
        return;
      }
      await muxer.addSample(AUDIO, { data: f.data, duration: f.samples, sync: true });
      audioFrames++;
    }
  };
  try {
    for (let i = 0; i < sources.length; i++) {
      const h = headers[i];
      const reader = open[i] ?? (await openSegment(await sources[i].open(), sources[i].name));
      open[i] = reader;
      let n = 0;
      for await (const frag of reader.fragments()) {
        if (options.signal?.aborted) throw aborted(options.signal);
        const expected = (h.info.start + n) * h.info.frameDuration;
        if (frag.baseMediaDecodeTime !== expected) {
          throw corrupt(sources[i].name, `a fragment starts at decode time ${frag.baseMediaDecodeTime}, expected ${expected} (frame ${h.info.start + n})`);
        }
        for (const s of frag.samples) {
          if (n === 0 && !s.sync) throw corrupt(sources[i].name, 'its first frame is not a keyframe (IDR)');
          if (s.duration !== h.info.frameDuration) throw corrupt(sources[i].name, `frame ${h.info.start + n} lasts ${s.duration} ticks, expected ${h.info.frameDuration}`);
          if (n >= h.info.end - h.info.start) throw corrupt(sources[i].name, `it holds more frames than its range ${h.info.start}–${h.info.end} says`);
          await muxer.addSample(VIDEO, s);
          n++;
          frames++;
        }
        if (soundtrack) await feedAudio((frames * info.frameDuration) / info.timescale);
      }
      await reader.close();
      open[i] = null;
      if (n !== h.info.end - h.info.start) {
        throw corrupt(sources[i].name, `its record says frames ${h.info.start}–${h.info.end} (${h.info.end - h.info.start}) but it holds ${n} (truncated?)`);
      }
    }
    await muxer.endTrack(VIDEO);
    const durationSeconds = (frames * info.frameDuration) / info.timescale;
    let audio: StitchResult['audio'];
    if (soundtrack) {
      await feedAudio(audioLength === 'full' ? Infinity : durationSeconds);
      await muxer.endTrack(AUDIO);
      const edit = soundtrack.edit(durationSeconds);
      muxer.setEdit(AUDIO, edit);
      await soundtrack.close();
      const t = soundtrack.track;
      audio = { durationSeconds: (edit.duration ?? 0) / t.sampleRate, sampleRate: t.sampleRate, channels: t.channels, frames: audioFrames };
      if (soundtrack.warnings.length > 0) audio.warnings = [...soundtrack.warnings];
    }
    const { bytes } = await muxer.finish();
    return {
      range: { start: first.info.start, end: headers[headers.length - 1].info.end },
      frames,
      segments: headers.length,
      durationSeconds,
      ...(audio ? { audio } : {}),
      layout,
      bytes,
      ...(memory ? { data: memory.data() } : {}),
    };
  } catch (err) {
    await Promise.all(open.map((r) => r?.close()));
    await soundtrack?.close();
    await muxer.abort(err).catch(() => undefined);
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
    if (s.timescale !== r.timescale || s.frameDuration !== r.frameDuration) throw mismatch('timescale', `${r.frameDuration}/${r.timescale}`, `${s.frameDuration}/${s.timescale}`);
    for (const k of Object.keys(r.encoder) as (keyof SegmentEncoderParams)[]) {
      if (s.encoder[k] !== r.encoder[k]) throw mismatch(`encoder ${k}`, r.encoder[k], s.encoder[k]);
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
    if (s.start < p.end) throw gap('overlap', `${names[i]} holds ${span(s)}, overlapping ${span(p)} of ${names[i - 1]}; expected it to start at frame ${p.end}`);
    throw gap('gap', `frames ${p.end}–${s.start - 1} are missing: ${names[i - 1]} ends at frame ${p.end - 1} and ${names[i]} starts at frame ${s.start}; expected it to start at frame ${p.end}`);
  }
}

/** What must hold of each segment on its own. */
function checkSegment(h: SegmentHeader, name: string): SegmentHeader & { info: SegmentInfo } {
  if (!h.info) {
    throw new Mp4ForgeError('INVALID_MP4', `${name} is not an mp4forge segment: its moov has no segment record (renderSegment or 'mp4forge render --segment' make segments)`, {
      details: { segment: name },
    });
  }
  const bad = (why: string) => corrupt(name, why);
  if (!h.fragmented) throw bad('it has no mvex (not fragmented)');
  if (h.trackCount !== 1 || h.handler !== 'vide') throw bad(`expected exactly one video track, found ${h.trackCount} track(s), the first '${h.handler}'`);
  if (h.sampleEntry !== 'avc1' || !h.avcC) throw bad(`expected an avc1 sample entry with an avcC, found '${h.sampleEntry}'`);
  if (h.width !== h.info.width || h.height !== h.info.height) throw bad(`its sample entry is ${h.width}×${h.height} but its record says ${h.info.width}×${h.info.height}`);
  if (h.timescale !== h.info.timescale) throw bad(`its timescale is ${h.timescale} but its record says ${h.info.timescale}`);
  return h as SegmentHeader & { info: SegmentInfo };
}

function commonLayout(headers: readonly { info: SegmentInfo }[]): Layout | undefined {
  const l = headers[0].info.layout;
  return headers.every((h) => h.info.layout === l) ? l : undefined;
}

interface SegmentSource {
  name: string;
  /** True when open() may be called again for a fresh pass (paths, bytes). */
  reopenable: boolean;
  open(): Promise<ForwardReader>;
}

function segmentSource(input: SegmentInput, index: number, count: number): SegmentSource {
  const label = `segment ${index + 1} of ${count}`;
  if (input instanceof Uint8Array) {
    // A Node Buffer is a Uint8Array whose slice() shares memory; view it as a plain one.
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return { name: label, reopenable: true, open: async () => bytesReader(bytes) };
  }
  if (typeof input === 'string') {
    if (input.length === 0) throw invalid(`${label}: an empty file path`);
    return { name: `${label} (${input})`, reopenable: true, open: () => fileReader(input, `${label} (${input})`) };
  }
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) {
    let used = false;
    return {
      name: label,
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
    return { name: label, reopenable: false, open: async () => new ChunkReader(it) };
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
  const r = range as Partial<FrameRange> | null;
  const ok = !!r && typeof r === 'object' && Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && (r.start as number) >= 0 && (r.end as number) > (r.start as number);
  if (!ok) throw invalid(`range must be {start, end} with integers 0 ≤ start < end, got ${JSON.stringify(range)}`);
  if (total !== undefined) {
    if (!Number.isSafeInteger(total) || total < 1) throw invalid(`frames must be a positive integer, got ${JSON.stringify(total)}`);
    if ((r.end as number) > total) throw invalid(`range ends at frame ${r.end}, past the video's ${total} frames`);
  }
  return { start: r.start as number, end: r.end as number };
}

/** The sink's methods bound to it, so they can be spread into a wrapper. */
function bindSink(s: Sink): Sink {
  return {
    write: (b) => s.write(b),
    ...(s.writeAt && s.readAt ? { writeAt: s.writeAt.bind(s), readAt: s.readAt.bind(s) } : {}),
    close: () => s.close(),
    abort: (r, incomplete) => s.abort(r, incomplete),
  };
}

function corrupt(name: string, why: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_MP4', `${name} is not a valid segment: ${why}`, { details: { segment: name } });
}

function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message);
}

function aborted(signal: AbortSignal): Mp4ForgeError {
  return new Mp4ForgeError('ABORTED', `Aborted: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'signal aborted')}`, { cause: signal.reason });
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
