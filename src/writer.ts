// createMp4Writer: frames in, an MP4 out. The writer checks frames, converts them to I420, hands
// them to its frame encoder (in-process or a worker pool: src/pipeline/frame-encoder.ts) and the
// coded frames to its mux session (src/pipeline/mux-session.ts), reports progress, and runs the
// failure state machine. renderVideo is a writer whose frames are drawn by a scene.
import { bytesPerFrame, type PixelFormat } from './encode/convert.js';
import { Mp4ForgeError, type Mp4ForgeWarning } from './errors.js';
import { drawPattern, patterns, type FrameCallback, type PatternName } from './generate/patterns.js';
import type { Layout } from './mux/types.js';
import {
  abortedError, oneOf, resolveAudioEncoding, resolveAudioLength, resolveCallback, resolveLayout, resolvePixelFormat, resolveSignal, resolveVideo,
  resolveWorkers, type FrameRate, type ResolvedVideo, type VideoOptions,
} from './options.js';
import type { Mp4Output } from './output.js';
import { drawFrame, type Frame } from './pipeline/frame-loop.js';
import { openFrameEncoder, type Deliver, type FrameEncoder, type SceneSource } from './pipeline/frame-encoder.js';
import { MuxSession } from './pipeline/mux-session.js';
import { ProgressReporter } from './pipeline/progress.js';
import { availableCores } from './pool/host.js';
import type { WorkerPool } from './pool/worker-pool.js';
import type { OutputResult, Progress } from './results.js';
import type { AudioEncodeOptions, AudioInput, AudioLength } from './soundtrack.js';
import { optionsObject, refuse } from './validate.js';

export type { Progress } from './results.js';

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
  /** A file path, a Node Writable, a WHATWG WritableStream<Uint8Array>, a custom Sink, or `{ buffer: true }` (the file comes back in `data`). */
  output: Mp4Output;
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
  /** Called after each batch of frames written to the output. */
  onProgress?: (progress: Progress) => void;
  /**
   * Told about what mp4forge worked around without failing: `FRAMES_QUEUED` once, when more than
   * {@link QUEUED_FRAMES_WARNING} frames wait in the writer because `addFrame` was not awaited
   * (each holds a converted frame in memory), and at `finish()` the soundtrack's warnings (also in
   * `result.audio.warnings`). Default: none (warnings are dropped). A warning never fails a file:
   * a throw in `onWarning` is ignored.
   */
  onWarning?: (warning: Mp4ForgeWarning) => void;
  signal?: AbortSignal;
  /**
   * Encode in workers (Node worker threads; module Web Workers in browsers): a number of workers,
   * or 'auto' for one per available core (`navigator.hardwareConcurrency` in browsers).
   * Default 0: encode on the calling thread. Frames are converted to I420 on the calling thread
   * and the buffer is transferred (not copied) to a worker; whole GOP-aligned chunks are encoded
   * in parallel and reassembled in order, so the file is byte-identical whatever the count.
   * `addFrame` resolves once its frame is inside a bounded window of `(workers − 1) × chunk + 4`
   * frames (a chunk is the GOP, at least 16 frames); that window is the memory cost of parallelism.
   * With the default encoder the writer does not wait for its workers to start: frames are taken
   * meanwhile, and a worker that fails to start makes the next `addFrame` or `finish` reject
   * (`WORKER_FAILED` when its thread died). A {@link WorkerPool} (from {@link createWorkerPool})
   * lends its already started threads to this writer instead, and gets them back when it ends.
   */
  workers?: number | 'auto' | WorkerPool;
}

/** What a finished writer reports (the fields every result shares). */
export type Mp4WriterResult = OutputResult;

export interface Mp4Writer {
  /** Encodes one frame. Resolves when the frame was accepted (backpressure); the buffer may be reused then. */
  addFrame(frame: FrameInput): Promise<void>;
  /**
   * Adds `count` RGBA frames drawn by a built-in pattern or by `draw(frameIndex, rgba)`, where
   * frameIndex counts from the writer's current frame. An async `draw` is awaited: each frame is
   * drawn before it is encoded. A throw (or rejection) in `draw` rejects with USER_CALLBACK_FAILED
   * and the frame index, and the output is aborted.
   *
   * @example
   * await writer.addFrames(300, (i, rgba) => { rgba.fill(i % 256); });
   */
  addFrames(count: number, draw: PatternName | FrameCallback): Promise<void>;
  /** Flushes, writes the index and closes the output. */
  finish(): Promise<Mp4WriterResult>;
  /** Stops and closes the output; a non-fragmented file is deleted (it would have no index). */
  abort(reason?: unknown): Promise<void>;
  /** Frames added so far (by addFrame and addFrames), whether or not they are encoded yet; the same with or without workers. */
  readonly frames: number;
}

/** The keys createMp4Writer takes; renderVideo takes the same but pixelFormat. @internal */
export const WRITER_KEYS = ['width', 'height', 'fps', 'output', 'layout', 'video', 'pixelFormat'].concat(
  ['audio', 'audioLength', 'audioEncoding', 'onProgress', 'onWarning', 'signal', 'workers'],
);

/**
 * Frames waiting in a writer (added, not yet taken by the encoder) beyond which `onWarning` gets
 * `FRAMES_QUEUED`, once. A caller that awaits each `addFrame` never has more than one waiting.
 */
export const QUEUED_FRAMES_WARNING = 32;

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
  return openWriter(options, 'createMp4Writer', WRITER_KEYS, null);
}

/**
 * createMp4Writer's options checked against `keys` (renderVideo's differ), plus `scene`: what
 * draws the frames in render mode. @internal
 */
export async function openWriter(options: unknown, fn: string, keys: readonly string[], scene: SceneSource): Promise<WriterImpl> {
  const o = optionsObject(options, '', keys, `${fn} needs an options object`) as unknown as Mp4WriterOptions;
  const video = resolveVideo(o.width, o.height, o.fps, o.video);
  const layout = resolveLayout(o.layout);
  const pixelFormat = resolvePixelFormat(o.pixelFormat);
  const onProgress = resolveCallback<(p: Progress) => void>(o.onProgress, 'onProgress');
  const onWarning = resolveCallback<(w: Mp4ForgeWarning) => void>(o.onWarning, 'onWarning');
  const signal = resolveSignal(o.signal);
  const audioLength = resolveAudioLength(o.audioLength, o.audio !== undefined);
  const audioEncoding = resolveAudioEncoding(o.audioEncoding, o.audio);
  if (o.output === undefined) throw refuse('output', 'a file path, a Node Writable, a WritableStream, a Sink or { buffer: true }', undefined);
  if (signal?.aborted) throw abortedError(signal);
  const workers = await workerCount(resolveWorkers(o.workers, scene?.kind === 'module' ? 'auto' : 0));
  const encoder = await openFrameEncoder(video, workers, scene);
  const session = await MuxSession.open(
    {
      avc: encoder.config,
      width: video.width,
      height: video.height,
      timescale: video.timescale,
      frameDuration: video.frameDuration,
      layout,
      output: o.output,
      ...(scene?.kind === 'module' && scene.ref.startsWith('file:') ? { inputs: [{ what: 'scene module', path: scene.ref }] } : {}),
      ...(o.audio !== undefined ? { audio: o.audio, audioLength, ...(audioEncoding ? { audioEncoding } : {}) } : {}),
      encoder: encoder.backend,
    },
    () => encoder.close(),
  );
  return new WriterImpl(video, pixelFormat, encoder, session, new ProgressReporter(onProgress), signal, onWarning);
}

/** 'auto' → one worker per available core. */
async function workerCount(workers: number | 'auto' | WorkerPool): Promise<number | WorkerPool> {
  return workers === 'auto' ? availableCores() : workers;
}

/** @internal */
export class WriterImpl implements Mp4Writer {
  private readonly frameBytes: number;
  /** Frames taken by addFrame/addFrames/renderScene (some may still be queued or in workers). */
  private added = 0;
  /** Frames added by addFrame and not yet handed to the encoder (callers that do not await pile them up). */
  private waiting = 0;
  private warnedQueued = false;
  private state: 'open' | 'finishing' | 'closed' | 'failed' = 'open';
  private failure: Mp4ForgeError | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Operations enqueued and not yet settled: 0 means the next one enqueued is the next to reach the encoder. */
  private queued = 0;
  /** Settles when a failure's cleanup (encoder closed, output aborted) is complete. */
  private teardown: Promise<void> | null = null;
  private readonly onAbort: () => void;
  private readonly deliver: Deliver = async (frames) => {
    if (frames.length === 0) return;
    await this.session.addVideo(frames);
    this.progress.report(this.session);
  };

  constructor(
    private readonly video: ResolvedVideo,
    private readonly pixelFormat: PixelFormat,
    private readonly encoder: FrameEncoder,
    private readonly session: MuxSession,
    private readonly progress: ProgressReporter,
    private readonly signal: AbortSignal | undefined,
    private readonly onWarning: ((w: Mp4ForgeWarning) => void) | undefined = undefined,
  ) {
    this.frameBytes = bytesPerFrame(pixelFormat, video.width, video.height);
    this.onAbort = () => {
      void this.fail(abortedError(signal as AbortSignal));
    };
    signal?.addEventListener('abort', this.onAbort, { once: true });
    // Starting workers takes a while; a signal that fired meanwhile must still count.
    if (signal?.aborted) this.onAbort();
    // A worker that fails while nobody is waiting on the pool must still stop the others at once.
    encoder.onFailure((e) => void this.fail(e));
  }

  get frames(): number {
    return this.added;
  }

  addFrame(frame: FrameInput): Promise<void> {
    if (this.state !== 'open') return this.rejectClosed('addFrame');
    let taken: Frame;
    try {
      const pixels = this.checkFrame(frame);
      // Taking the frame now, synchronously (a copy, or the I420 conversion), means the caller may
      // reuse its buffer as soon as addFrame returns, even when it does not await (the queue then
      // holds one frame per call). When nothing is queued ahead of it, the frame goes straight into
      // the encoder's own input buffer. A throw here is a rejection, like every other failure.
      taken = this.encoder.takeFrame(pixels, this.pixelFormat, this.queued === 0);
    } catch (err) {
      return Promise.reject(err);
    }
    const index = this.added++;
    if (++this.waiting > QUEUED_FRAMES_WARNING && !this.warnedQueued) {
      this.warnedQueued = true;
      this.warn({
        code: 'FRAMES_QUEUED',
        message:
          `${this.waiting} frames are waiting in the writer, ${(this.waiting * taken.data.length / 1e6).toFixed(1)} MB of pixels: addFrame was called ` +
          'again without awaiting the previous call, so frames pile up in memory; await each addFrame (it resolves when the frame is taken)',
        details: { frameIndex: index, queuedFrames: this.waiting },
      });
    }
    return this.enqueue(() => {
      this.waiting--;
      return this.encoder.encode(index, taken, this.deliver);
    });
  }

  async addFrames(count: number, draw: PatternName | FrameCallback): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw refuse('addFrames count', 'a non-negative integer', count);
    if (this.pixelFormat !== 'rgba')
      throw new Mp4ForgeError('INVALID_OPTION', `addFrames draws RGBA frames; this writer expects pixelFormat '${this.pixelFormat}'`);
    if (typeof draw !== 'function' && !(typeof draw === 'string' && draw in patterns)) {
      throw refuse('addFrames draw', `a function (frameIndex, rgba) or a pattern (${oneOf(Object.keys(patterns))})`, draw);
    }
    const { width, height } = this.video;
    const paint: FrameCallback = typeof draw === 'function' ? draw : (i, rgba) => drawPattern(draw, rgba, width, height, i);
    const rgba = new Uint8Array(width * height * 4);
    for (let n = 0; n < count; n++) {
      if (this.state !== 'open') return this.rejectClosed('addFrames');
      try {
        await drawFrame(paint, this.added, rgba);
      } catch (err) {
        throw await this.fail(err);
      }
      await this.addFrame(rgba);
    }
  }

  /**
   * Render mode (renderVideo): the next `count` frames are drawn by the writer's scene.
   * @internal
   */
  renderScene(count: number): Promise<void> {
    if (this.state !== 'open') return this.rejectClosed('renderScene');
    const start = this.added;
    this.added += count;
    return this.enqueue(() => this.encoder.render(start, count, this.deliver));
  }

  finish(): Promise<Mp4WriterResult> {
    if (this.state !== 'open') return this.rejectClosed('finish');
    this.state = 'finishing';
    return this.enqueue(async () => {
      await this.encoder.flush(this.deliver);
      if (this.session.frames === 0)
        throw new Mp4ForgeError('INVALID_OPTION', 'finish() was called before any frame was added; an MP4 needs at least one frame');
      const result = await this.session.finish();
      await this.cleanup();
      this.state = 'closed';
      for (const w of result.audio?.warnings ?? []) this.warn(w);
      return result;
    });
  }

  async abort(reason?: unknown): Promise<void> {
    if (this.state === 'closed' || this.state === 'failed') return;
    await this.fail(new Mp4ForgeError('ABORTED', 'The writer was aborted', { cause: reason }));
  }

  /** Hands a warning to onWarning; a throw there is the caller's and is not allowed to break the writer. */
  private warn(w: Mp4ForgeWarning): void {
    try {
      this.onWarning?.(w);
    } catch {
      // a warning is advice: a failing handler must not turn it into a failed file
    }
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(async () => {
      try {
        if (this.failure) throw this.failure;
        try {
          return await op();
        } catch (err) {
          throw await this.fail(err);
        }
      } finally {
        this.queued--;
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
    const index = this.added;
    if (frame instanceof Uint8Array || frame instanceof Uint8ClampedArray) {
      if (frame.length !== this.frameBytes) {
        throw new Mp4ForgeError(
          'INVALID_FRAME',
          `frame ${index} has ${frame.length} bytes; ${this.pixelFormat} at ${width}×${height} needs exactly ${this.frameBytes}`,
          { details: { frameIndex: index } },
        );
      }
      return frame;
    }
    const img = frame as ImageDataLike | null;
    if (img && typeof img === 'object' && (img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray)) {
      if (img.width !== width || img.height !== height) {
        throw new Mp4ForgeError('INVALID_FRAME', `frame ${index} is ${img.width}×${img.height}; the writer was created for ${width}×${height}`, {
          details: { frameIndex: index },
        });
      }
      if (this.pixelFormat !== 'rgba')
        throw new Mp4ForgeError('INVALID_FRAME', `ImageData is RGBA, but the writer expects pixelFormat '${this.pixelFormat}'`, {
          details: { frameIndex: index },
        });
      if (img.data.length !== width * height * 4) {
        throw new Mp4ForgeError('INVALID_FRAME', `frame ${index} ImageData has ${img.data.length} bytes; expected ${width * height * 4}`, {
          details: { frameIndex: index },
        });
      }
      return img.data;
    }
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `addFrame expects a Uint8Array, Uint8ClampedArray or ImageData-like {data, width, height}, got ${frame === null ? 'null' : typeof frame}`,
      { details: { frameIndex: index } },
    );
  }

  /** Moves to the failed state once: closes the encoder and aborts the output. Returns the error to report. */
  private async fail(err: unknown): Promise<Mp4ForgeError> {
    if (!this.failure) {
      this.failure = err instanceof Mp4ForgeError ? err : new Mp4ForgeError('ENCODER_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
      this.state = 'failed';
      const stopped = this.cleanup();
      this.teardown = Promise.all([this.session.abort(this.failure), stopped]).then(() => undefined);
    }
    await this.teardown;
    return this.failure;
  }

  /** Stops the encoder (terminating pool workers; the promise settles when they are gone). */
  private cleanup(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    return this.encoder.close().catch(() => undefined);
  }

  private async rejectClosed(call: string): Promise<never> {
    if (this.failure) {
      await this.teardown;
      throw this.failure;
    }
    throw new Mp4ForgeError('WRITER_CLOSED', `${call}() was called after finish(); create a new writer for another file`);
  }
}
