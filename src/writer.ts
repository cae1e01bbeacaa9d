// createMp4Writer: the one place where generate → encode → mux (← audio) are joined.
import { Mp4ForgeError, type Mp4ForgeWarning } from './errors.js';
import { buildAvcC } from './encode/avc.js';
import { bytesPerFrame, toI420, type PixelFormat } from './encode/convert.js';
import { availableCores, workerSpawner } from './pool/host.js';
import { openH264Encoder, type H264ChunkEncoder, type UsedEncoder } from './encode/h264-backend.js';
import { chunkFramesFor, type CodedFrame, type H264Params } from './encode/h264-encoder.js';
import { drawPattern, patterns, type FrameCallback, type PatternName } from './generate/patterns.js';
import { FragmentedMuxer } from './mux/fragmented-muxer.js';
import { Mp4Muxer } from './mux/mp4-muxer.js';
import type { Muxer } from './mux/muxer.js';
import type { Layout, VideoTrackInfo } from './mux/types.js';
import { resolveLayout, resolveVideo, type FrameRate, type ResolvedVideo, type VideoOptions } from './options.js';
import { resolveOutput, type Mp4Output } from './output.js';
import { ChunkPool } from './pool/chunk-pool.js';
import { Soundtrack, type AudioEncodeOptions, type AudioInput, type AudioLength } from './soundtrack.js';

/** Progress after each frame. */
export interface Progress {
  /** Frames accepted so far. */
  frames: number;
  /** Seconds of video encoded so far. */
  seconds: number;
  /** Bytes written to the output so far. */
  bytes: number;
  /** Frames per second of wall time since the writer was created. */
  fps: number;
}

/** Anything shaped like DOM ImageData: RGBA pixels with their size. */
export interface ImageDataLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export type FrameInput = Uint8Array | Uint8ClampedArray | ImageDataLike;

export interface Mp4WriterOptions {
  width: number;
  height: number;
  /** 30, or {num: 30000, den: 1001} for 29.97. Strings like "30000/1001" are accepted too. */
  fps: FrameRate | string;
  /** A file path, a Node Writable, a WHATWG WritableStream<Uint8Array>, 'buffer', or a custom Sink. */
  output: Mp4Output | 'buffer';
  /** 'faststart' (moov first; default), 'progressive' (moov last, streams as it goes) or 'fragmented'. */
  layout?: Layout;
  video?: VideoOptions;
  /** Pixel layout of the buffers passed to addFrame. Default 'rgba'. ImageData is always RGBA. */
  pixelFormat?: PixelFormat;
  /**
   * A soundtrack: an MP3 (file path, bytes, ReadableStream or AsyncIterable of bytes) muxed as is,
   * or PCM ({sampleRate, channels, pull(frames)}, {sampleRate, planes} or Float32Array[]) encoded to MP3.
   */
  audio?: AudioInput;
  /** 'trim' (cut at the video end; default), 'full' (keep all audio) or 'loop' (repeat to fill the video). */
  audioLength?: AudioLength;
  /** MP3 encoding of PCM audio: kbps, channels, and the sample rate of a bare Float32Array[]. */
  audioEncoding?: AudioEncodeOptions;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  /**
   * Encode in worker threads (Node): a number of workers, or 'auto' for one per available core.
   * Default 0: encode on the calling thread. Frames are converted to I420 on the calling thread
   * and the buffer is transferred (not copied) to a worker; whole GOP-aligned chunks are encoded
   * in parallel and reassembled in order, so the file is byte-identical whatever the count.
   * `addFrame` resolves once its frame is inside a bounded window of `workers × chunk` frames
   * (a chunk is the GOP, at least 16 frames); that window is the memory cost of parallelism.
   */
  workers?: number | 'auto';
}

export interface Mp4WriterResult {
  frames: number;
  /** Video duration in seconds. */
  durationSeconds: number;
  /**
   * The audio track, when there is one: its played duration (after gapless trimming and
   * `audioLength`), and what the MP3 had wrong that did not stop the run (e.g. it was cut short).
   */
  audio?: { durationSeconds: number; sampleRate: number; channels: number; frames: number; warnings?: Mp4ForgeWarning[] };
  bytes: number;
  /** The H.264 encoder that ran (see `video.encoder`). */
  videoEncoder: UsedEncoder;
  /** The file, when `output` was 'buffer'. */
  data?: Uint8Array;
}

export interface Mp4Writer {
  /** Encodes one frame. Resolves when the frame was accepted (backpressure); the buffer may be reused then. */
  addFrame(frame: FrameInput): Promise<void>;
  /**
   * Adds `count` RGBA frames drawn by a built-in pattern or by `draw(frameIndex, rgba)`, where
   * frameIndex counts from the writer's current frame. A throw in `draw` rejects with
   * USER_CALLBACK_FAILED and the frame index, and the output is aborted.
   *
   * @example
   * await writer.addFrames(300, (i, rgba) => { rgba.fill(i % 256); });
   */
  addFrames(count: number, draw: PatternName | FrameCallback): Promise<void>;
  /** Flushes, writes the index and closes the output. */
  finish(): Promise<Mp4WriterResult>;
  /** Stops and closes the output; a non-fragmented file is deleted (it would have no index). */
  abort(reason?: unknown): Promise<void>;
  /** Frames accepted so far. */
  readonly frames: number;
}

const VIDEO = 0;
const AUDIO = 1;

/** Colour description of every stream mp4forge encodes (segments and stitched files too). */
export const COLOUR = {
  // Generated pixels are sRGB; they are converted with the BT.601 matrix into limited range.
  primaries: 1, // BT.709 / sRGB primaries
  transfer: 13, // IEC 61966-2-1 (sRGB)
  matrix: 6, // BT.601 (SMPTE 170M)
  fullRange: false,
};

/**
 * Creates a writer that encodes frames to H.264 and muxes them into an MP4.
 *
 * @example
 * const writer = await createMp4Writer({ width: 1280, height: 720, fps: 30, output: 'out.mp4' });
 * const frame = new Uint8Array(1280 * 720 * 4);
 * for (let i = 0; i < 300; i++) { patterns.noise(frame, 1280, 720, i); await writer.addFrame(frame); }
 * const { frames, bytes } = await writer.finish();
 */
export async function createMp4Writer(options: Mp4WriterOptions): Promise<Mp4Writer> {
  return openWriter(options, null);
}

/**
 * createMp4Writer, plus (internal) `scene`: a module URL or pattern name that the workers load to
 * draw frames themselves (renderVideo), so that no pixels cross threads.
 * @internal
 */
export async function openWriter(options: Mp4WriterOptions, scene: string | null): Promise<WriterImpl> {
  if (!options || typeof options !== 'object') throw new Mp4ForgeError('INVALID_OPTION', 'createMp4Writer needs an options object');
  const video = resolveVideo(options.width, options.height, options.fps, options.video);
  const layout = resolveLayout(options.layout);
  const pixelFormat = options.pixelFormat ?? 'rgba';
  if (!['rgba', 'bgra', 'rgb24', 'yuv420p'].includes(pixelFormat)) {
    throw new Mp4ForgeError('INVALID_OPTION', `pixelFormat must be 'rgba', 'bgra', 'rgb24' or 'yuv420p', got ${JSON.stringify(pixelFormat)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new Mp4ForgeError('INVALID_OPTION', 'onProgress must be a function');
  if (options.signal?.aborted) throw abortedError(options.signal);
  const audioLength = options.audioLength ?? 'trim';
  if (!['trim', 'full', 'loop'].includes(audioLength)) {
    throw new Mp4ForgeError('INVALID_OPTION', `audioLength must be 'trim', 'full' or 'loop', got ${JSON.stringify(audioLength)}`);
  }
  const params: H264Params = {
    width: video.width,
    height: video.height,
    fps: video.fps,
    qp: video.qp,
    kbps: video.kbps,
    speed: video.speed,
    gop: video.gop,
    temporalDenoise: video.temporalDenoise,
  };
  const workers = await resolveWorkers(options.workers, scene !== null);
  // Workers run the WASM encoder (the only one that can be split into independent chunks);
  // WebCodecs encodes one stream, off-thread already.
  if (workers > 0 && video.encoder === 'webcodecs') {
    throw new Mp4ForgeError('INVALID_OPTION', "video.encoder 'webcodecs' cannot run in workers; use workers: 0, or encoder 'wasm'/'auto' (workers use the WASM encoder)");
  }
  const encoder: H264ChunkEncoder | ChunkPool =
    workers === 0 ? await openH264Encoder(params, video.encoder) : await startPool(workers, params, chunkFramesFor(video.gop), scene);
  const track: VideoTrackInfo = {
    kind: 'video',
    avcC: buildAvcC(encoder.config),
    width: video.width,
    height: video.height,
    timescale: video.timescale,
    colour: COLOUR,
  };
  const { muxer, soundtrack, memory } = await openMuxing(track, layout, { ...options, audioLength }, () => encoder.close());
  return new WriterImpl(video, pixelFormat, encoder, muxer, soundtrack, memory, options);
}

/**
 * The muxing half of a writer (also used by stitchSegments): opens the soundtrack, if any, and the
 * output, then a muxer for `video` plus the audio track. On failure `undo` runs first, then
 * whatever was opened is closed.
 * @internal
 */
export async function openMuxing(
  video: VideoTrackInfo,
  layout: Layout,
  o: { output: unknown; audio?: AudioInput; audioLength: AudioLength; audioEncoding?: AudioEncodeOptions },
  undo: () => unknown,
): Promise<{ muxer: Muxer; soundtrack: Soundtrack | null; memory: { data(): Uint8Array } | null }> {
  let soundtrack: Soundtrack | null = null;
  let out;
  try {
    if (o.audio !== undefined) soundtrack = await Soundtrack.open(o.audio, o.audioLength, o.audioEncoding);
    out = await resolveOutput(o.output);
  } catch (err) {
    await undo();
    await soundtrack?.close();
    throw err;
  }
  const tracks = soundtrack ? [video, soundtrack.track] : [video];
  const muxer: Muxer =
    layout === 'fragmented'
      ? new FragmentedMuxer({ sink: out.sink, tracks })
      : new Mp4Muxer({ layout, sink: out.sink, tracks, openSpool: out.openSpool });
  if (soundtrack) muxer.setEdit(AUDIO, soundtrack.edit(null));
  return { muxer, soundtrack, memory: out.memory };
}

/** 0 = in-process. 'auto' = one worker per available core. */
async function resolveWorkers(workers: unknown, rendering: boolean): Promise<number> {
  if (workers === undefined) workers = rendering ? 'auto' : 0;
  if (workers === 'auto') {
    return availableCores();
  }
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 0 || workers > 256) {
    throw new Mp4ForgeError('INVALID_OPTION', `workers must be 'auto' or an integer from 0 (no workers) to 256, got ${JSON.stringify(workers)}`);
  }
  if (rendering && workers === 0) throw new Mp4ForgeError('INVALID_OPTION', 'a scene is rendered inside workers; workers must be at least 1 (or \'auto\')');
  return workers;
}

async function startPool(workers: number, params: H264Params, chunkFrames: number, scene: string | null): Promise<ChunkPool> {
  return ChunkPool.start({ spawn: await workerSpawner(), workers, params, chunkFrames, scene });
}

/** @internal */
export class WriterImpl implements Mp4Writer {
  /** I420 buffers free for the next frame; more than one only when callers do not await addFrame. */
  private readonly freeI420: Uint8Array[] = [];
  private readonly frameBytes: number;
  private readonly chunkFrames: number;
  /** Frames taken by addFrame (some may still be queued). */
  private submitted = 0;
  /** Frames encoded. */
  private accepted = 0;
  private muxed = 0;
  private chunkOpen = false;
  private state: 'open' | 'finishing' | 'closed' | 'failed' = 'open';
  private failure: Mp4ForgeError | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Settles when a failure's cleanup (encoder closed, output aborted) is complete. */
  private teardown: Promise<void> | null = null;
  private readonly started = performance.now();
  private readonly onAbort: () => void;

  constructor(
    private readonly video: ResolvedVideo,
    private readonly pixelFormat: PixelFormat,
    private readonly encoder: H264ChunkEncoder | ChunkPool,
    private readonly muxer: Muxer,
    private readonly soundtrack: Soundtrack | null,
    private readonly memory: { data(): Uint8Array } | null,
    private readonly options: Mp4WriterOptions,
  ) {
    this.frameBytes = bytesPerFrame(pixelFormat, video.width, video.height);
    this.chunkFrames = chunkFramesFor(video.gop);
    this.onAbort = () => {
      void this.fail(abortedError(options.signal as AbortSignal));
    };
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    // Starting workers takes a while; a signal that fired meanwhile must still count.
    if (options.signal?.aborted) this.onAbort();
    // A worker that fails while nobody is waiting on the pool must still stop the others at once.
    if (encoder instanceof ChunkPool) encoder.onFailure = (e) => void this.fail(e);
  }

  get frames(): number {
    return this.accepted;
  }

  addFrame(frame: FrameInput): Promise<void> {
    if (this.state !== 'open') return this.rejectClosed('addFrame');
    let pixels: Uint8Array | Uint8ClampedArray;
    try {
      pixels = this.checkFrame(frame);
    } catch (err) {
      return Promise.reject(err);
    }
    // Converting now, synchronously, means the caller may reuse its buffer as soon as addFrame
    // returns, even when it does not await (the queue then holds one I420 frame per call).
    const pool = this.encoder instanceof ChunkPool ? this.encoder : null;
    const yuv = pool ? pool.yuvBuffer() : (this.freeI420.pop() ?? new Uint8Array((this.video.width * this.video.height * 3) / 2));
    if (this.pixelFormat === 'yuv420p') yuv.set(pixels);
    else toI420(pixels, this.pixelFormat, this.video.width, this.video.height, yuv);
    this.submitted++;
    return this.enqueue(() => (pool ? this.poolFrame(pool, yuv) : this.encodeFrame(yuv)));
  }

  /**
   * Render mode (renderVideo): the workers draw the next `count` frames with the writer's scene.
   * @internal
   */
  renderScene(count: number): Promise<void> {
    if (this.state !== 'open') return this.rejectClosed('renderScene');
    const pool = this.encoder as ChunkPool;
    const start = this.submitted;
    this.submitted += count;
    return this.enqueue(async () => {
      pool.render(start, count);
      await this.drainPool(pool);
    });
  }

  private async poolFrame(pool: ChunkPool, yuv: Uint8Array): Promise<void> {
    while (!pool.hasRoom()) {
      await pool.wait();
      await this.muxPooled(pool);
    }
    pool.submit(yuv);
    await this.muxPooled(pool);
  }

  /** Muxes what the pool has ready until it has nothing left in flight. */
  private async drainPool(pool: ChunkPool): Promise<void> {
    for (;;) {
      await this.muxPooled(pool);
      if (pool.idle) return;
      await pool.wait();
    }
  }

  private async muxPooled(pool: ChunkPool): Promise<void> {
    const frames = pool.take();
    if (frames.length === 0) return;
    this.accepted += frames.length;
    await this.mux(frames);
    this.reportProgress();
  }

  async addFrames(count: number, draw: PatternName | FrameCallback): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new Mp4ForgeError('INVALID_OPTION', `addFrames count must be a non-negative integer, got ${JSON.stringify(count)}`);
    if (this.pixelFormat !== 'rgba') throw new Mp4ForgeError('INVALID_OPTION', `addFrames draws RGBA frames; this writer expects pixelFormat '${this.pixelFormat}'`);
    if (typeof draw !== 'function' && !(typeof draw === 'string' && draw in patterns)) {
      throw new Mp4ForgeError('INVALID_OPTION', `addFrames draws with a function (frameIndex, rgba) or a pattern (${Object.keys(patterns).join(', ')}), got ${JSON.stringify(draw)}`);
    }
    const { width, height } = this.video;
    const paint: FrameCallback = typeof draw === 'function' ? draw : (i, rgba) => drawPattern(draw, rgba, width, height, i);
    const rgba = new Uint8Array(width * height * 4);
    for (let n = 0; n < count; n++) {
      if (this.state !== 'open') return this.rejectClosed('addFrames');
      const index = this.submitted;
      try {
        paint(index, rgba);
      } catch (err) {
        const e = new Mp4ForgeError('USER_CALLBACK_FAILED', `the frame callback threw at frame ${index}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { frameIndex: index },
        });
        throw await this.fail(e);
      }
      await this.addFrame(rgba);
    }
  }

  finish(): Promise<Mp4WriterResult> {
    if (this.state !== 'open') return this.rejectClosed('finish');
    this.state = 'finishing';
    return this.enqueue(async () => {
      if (this.encoder instanceof ChunkPool) {
        this.encoder.endInput();
        await this.drainPool(this.encoder);
      }
      if (this.accepted === 0) throw new Mp4ForgeError('INVALID_OPTION', 'finish() was called before any frame was added; an MP4 needs at least one frame');
      await this.flushChunk();
      await this.muxer.endTrack(VIDEO);
      const durationSeconds = (this.muxed * this.video.fpsDen) / this.video.fpsNum;
      let audio: Mp4WriterResult['audio'];
      const st = this.soundtrack;
      if (st) {
        await this.feedAudio(this.options.audioLength === 'full' ? Infinity : durationSeconds);
        await this.muxer.endTrack(AUDIO);
        const edit = st.edit(durationSeconds);
        this.muxer.setEdit(AUDIO, edit);
        await st.close();
        audio = { durationSeconds: (edit.duration ?? 0) / st.track.sampleRate, sampleRate: st.track.sampleRate, channels: st.track.channels, frames: this.audioFrames };
        if (st.warnings.length > 0) audio.warnings = [...st.warnings];
      }
      const { bytes } = await this.muxer.finish();
      await this.cleanup();
      this.state = 'closed';
      return {
        frames: this.muxed,
        durationSeconds,
        ...(audio ? { audio } : {}),
        bytes,
        videoEncoder: this.encoder instanceof ChunkPool ? 'wasm' : this.encoder.kind,
        ...(this.memory ? { data: this.memory.data() } : {}),
      };
    }) as Promise<Mp4WriterResult>;
  }

  async abort(reason?: unknown): Promise<void> {
    if (this.state === 'closed' || this.state === 'failed') return;
    await this.fail(new Mp4ForgeError('ABORTED', 'The writer was aborted', { cause: reason }));
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        return await op();
      } catch (err) {
        throw await this.fail(err);
      }
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private checkFrame(frame: FrameInput): Uint8Array | Uint8ClampedArray {
    const { width, height } = this.video;
    if (frame instanceof Uint8Array || frame instanceof Uint8ClampedArray) {
      if (frame.length !== this.frameBytes) {
        throw new Mp4ForgeError(
          'INVALID_FRAME',
          `frame ${this.submitted} has ${frame.length} bytes; ${this.pixelFormat} at ${width}×${height} needs exactly ${this.frameBytes}`,
          { details: { frameIndex: this.submitted } },
        );
      }
      return frame;
    }
    const img = frame as ImageDataLike | null;
    if (img && typeof img === 'object' && (img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray)) {
      if (img.width !== width || img.height !== height) {
        throw new Mp4ForgeError('INVALID_FRAME', `frame ${this.submitted} is ${img.width}×${img.height}; the writer was created for ${width}×${height}`, { details: { frameIndex: this.submitted } });
      }
      if (this.pixelFormat !== 'rgba') throw new Mp4ForgeError('INVALID_FRAME', `ImageData is RGBA, but the writer expects pixelFormat '${this.pixelFormat}'`);
      if (img.data.length !== width * height * 4) {
        throw new Mp4ForgeError('INVALID_FRAME', `frame ${this.submitted} ImageData has ${img.data.length} bytes; expected ${width * height * 4}`, { details: { frameIndex: this.submitted } });
      }
      return img.data;
    }
    throw new Mp4ForgeError('INVALID_FRAME', `addFrame expects a Uint8Array, Uint8ClampedArray or ImageData-like {data, width, height}, got ${frame === null ? 'null' : typeof frame}`);
  }

  private async encodeFrame(yuv: Uint8Array): Promise<void> {
    if (this.accepted % this.chunkFrames === 0) {
      await this.flushChunk();
      await (this.encoder as H264ChunkEncoder).beginChunk();
      this.chunkOpen = true;
    }
    const coded = await (this.encoder as H264ChunkEncoder).encode(yuv); // both encoders copy the frame
    this.freeI420.push(yuv);
    this.accepted++;
    await this.mux(coded);
    this.reportProgress();
  }

  private async flushChunk(): Promise<void> {
    if (!this.chunkOpen) return;
    this.chunkOpen = false;
    await this.mux(await (this.encoder as H264ChunkEncoder).endChunk());
  }

  private async mux(frames: CodedFrame[]): Promise<void> {
    for (const f of frames) {
      await this.muxer.addSample(VIDEO, { data: f.data, duration: this.video.frameDuration, sync: f.keyframe });
      this.muxed++;
    }
    // Keep the audio just ahead of the video so the muxer can interleave with little buffering.
    if (this.soundtrack) await this.feedAudio((this.accepted * this.video.fpsDen) / this.video.fpsNum);
  }

  private audioFrames = 0;

  /** Hands MP3 frames to the muxer until the audio covers `seconds` of presentation time (or ends). */
  private async feedAudio(seconds: number): Promise<void> {
    const st = this.soundtrack as Soundtrack;
    while (!st.finished && st.coveredSeconds < seconds) {
      const f = await st.next();
      if (!f) {
        await this.muxer.endTrack(AUDIO);
        return;
      }
      await this.muxer.addSample(AUDIO, { data: f.data, duration: f.samples, sync: true });
      this.audioFrames++;
    }
  }

  private reportProgress(): void {
    const cb = this.options.onProgress;
    if (!cb) return;
    const elapsed = (performance.now() - this.started) / 1000;
    try {
      cb({
        frames: this.accepted,
        seconds: (this.accepted * this.video.fpsDen) / this.video.fpsNum,
        bytes: this.muxer.bytesWritten,
        fps: elapsed > 0 ? this.accepted / elapsed : 0,
      });
    } catch (err) {
      throw new Mp4ForgeError('USER_CALLBACK_FAILED', `onProgress threw at frame ${this.accepted - 1}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        details: { frameIndex: this.accepted - 1 },
      });
    }
  }

  /** Moves to the failed state once: closes the encoder and aborts the output. Returns the error to report. */
  private async fail(err: unknown): Promise<Mp4ForgeError> {
    if (!this.failure) {
      this.failure =
        err instanceof Mp4ForgeError ? err : new Mp4ForgeError('ENCODER_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
      this.state = 'failed';
      const stopped = this.cleanup();
      this.teardown = Promise.all([this.muxer.abort(this.failure).catch(() => undefined), stopped]).then(() => undefined);
    }
    await this.teardown;
    return this.failure;
  }

  /** Stops the encoder (terminating pool workers; the promise settles when they are gone). */
  private cleanup(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    void this.soundtrack?.close();
    return Promise.resolve(this.encoder.close()).catch(() => undefined);
  }

  private async rejectClosed(call: string): Promise<never> {
    if (this.failure) {
      await this.teardown;
      throw this.failure;
    }
    throw new Mp4ForgeError('WRITER_CLOSED', `${call}() was called after finish(); create a new writer for another file`);
  }
}

function abortedError(signal: AbortSignal): Mp4ForgeError {
  return new Mp4ForgeError('ABORTED', `Aborted: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'signal aborted')}`, { cause: signal.reason });
}
