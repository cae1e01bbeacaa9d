// The writer's strategy for turning frames into coded frames: on this thread (through the frame
// loop) or in a pool of worker threads (whole chunks per worker, reassembled in order). The writer
// holds one of them and never asks which.
import type { AvcConfig } from '../encode/avc.js';
import type { BackendInfo, CodedFrame } from '../encode/backend.js';
import type { PixelFormat } from '../encode/convert.js';
import { openFrameConverter, type FrameConverter } from '../encode/frame-converter.js';
import { createEncoder, resolveBackend } from '../encode/registry.js';
import type { Mp4ForgeError } from '../errors.js';
import type { ResolvedVideo } from '../options.js';
import { ChunkPool } from '../pool/chunk-pool.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import { workerSpawner } from '../pool/host.js';
import { loadScene } from '../generate/scene.js';
import { FrameLoop, FramePainter, takesRgb, type DrawFrame, type Frame } from './frame-loop.js';

/** Where coded frames go, in order, as they become ready. */
export type Deliver = (frames: CodedFrame[]) => Promise<void>;

export interface FrameEncoder {
  readonly backend: BackendInfo;
  readonly config: AvcConfig;
  /**
   * Takes the caller's frame now — copied (packed RGB for an encoder that converts itself) or
   * converted to I420 — so the caller may reuse its buffer as soon as this returns; encode() then
   * consumes what it returns. `next`: nothing else will reach the encoder before this frame's
   * encode(), so the frame may be copied straight into the encoder's own input buffer.
   */
  takeFrame(pixels: Uint8Array | Uint8ClampedArray, format: PixelFormat, next: boolean): Frame;
  /** Encodes frame `index` (the next one), delivering coded frames as they are ready. */
  encode(index: number, frame: Frame, deliver: Deliver): Promise<void>;
  /** Draws and encodes frames [start, start + count) with the scene it was opened with. */
  render(start: number, count: number, deliver: Deliver): Promise<void>;
  /** No more frames: delivers everything still in flight. */
  flush(deliver: Deliver): Promise<void>;
  /** Called once if the encoder fails while nobody waits on it (a worker crash), so the owner can tear down at once. */
  onFailure(handler: (error: Mp4ForgeError) => void): void;
  /** Stops; resolves when everything (worker threads too) is gone. Safe to call more than once. */
  close(): Promise<void>;
}

/** What draws frames in render mode: a scene workers import (module URL or pattern name), or a function drawn on this thread. */
export type SceneSource = { kind: 'module'; ref: string } | { kind: 'function'; draw: DrawFrame } | null;

/**
 * Opens the strategy: `workers` 0 → this thread, else a pool of that many workers. A module scene
 * is imported here (and, with workers, by each worker too); a function scene is always drawn here.
 */
export async function openFrameEncoder(video: ResolvedVideo, workers: number | WorkerPool, scene: SceneSource): Promise<FrameEncoder> {
  const inWorkers = typeof workers !== 'number' || workers > 0;
  if (!inWorkers) {
    const converter = await openFrameConverter(video.width, video.height);
    let draw: DrawFrame | null = null;
    if (scene?.kind === 'function') draw = scene.draw;
    else if (scene?.kind === 'module') {
      const module = await loadScene(scene.ref);
      draw = (i, rgba) => module(i, rgba, video.width, video.height);
    }
    const encoder = await createEncoder(video.encoder, video.params, { inWorkers, chunks: false });
    return new InProcessEncoder(new FrameLoop(encoder, video.chunkFrames, video.width, video.height, converter), draw, converter);
  }
  // Imported here once first, so that a module that cannot be imported (a syntax error, a throw,
  // ES module syntax in a CommonJS package) is one error with its cause, before any worker starts.
  if (scene?.kind === 'module') await loadScene(scene.ref);
  const backend = await resolveBackend(video.encoder, video.params, { inWorkers, chunks: false });
  // A WorkerPool's threads are started already; it lends them until this encoder closes.
  const lease = typeof workers === 'number' ? { spawn: await workerSpawner(), workers, end: () => undefined } : { ...workers.lend(), workers: workers.workers };
  // The workers are spawned first: a Node worker takes 100–200 ms to start, and this thread's own
  // setup (the converter's module, the SPS/PPS) runs meanwhile instead of before.
  const pool = ChunkPool.start({
    spawn: lease.spawn,
    workers: lease.workers,
    params: video.params,
    backend: { id: backend.id, version: backend.version },
    chunkFrames: video.chunkFrames,
    scene: scene?.kind === 'module' ? scene.ref : null,
    // Known here, the pool need not wait for its workers to start: frames are converted meanwhile.
    ...(backend.configFor ? { config: backend.configFor(video.params) } : {}),
  });
  const [started, converter] = await Promise.allSettled([pool, openFrameConverter(video.width, video.height)]);
  if (started.status === 'rejected') {
    lease.end(); // start() terminated what it spawned
    throw started.reason;
  }
  if (converter.status === 'rejected') {
    await started.value.close();
    lease.end();
    throw converter.reason;
  }
  return new PoolEncoder(started.value, backend, video, scene?.kind === 'function' ? scene.draw : null, converter.value, lease.end);
}

/** The data of a frame the encoder took already (loadRgb, loadI420): nothing to hold here. */
const TAKEN = new Uint8Array(0);

class InProcessEncoder implements FrameEncoder {
  /** Frame buffers free for reuse, by byte length; more than one only when callers do not await addFrame. */
  private readonly free = new Map<number, Uint8Array[]>();

  constructor(
    private readonly loop: FrameLoop,
    private readonly scene: DrawFrame | null,
    private readonly converter: FrameConverter,
  ) {}

  get backend(): BackendInfo {
    return this.loop.encoder.backend;
  }

  get config(): AvcConfig {
    return this.loop.encoder.config;
  }

  private buffer(bytes: number): Uint8Array {
    return this.free.get(bytes)?.pop() ?? new Uint8Array(bytes);
  }

  takeFrame(pixels: Uint8Array | Uint8ClampedArray, format: PixelFormat, next: boolean): Frame {
    const e = this.loop.encoder;
    const rgb = takesRgb(e, format);
    // One copy, into the encoder's memory, instead of one into a buffer here and one from it.
    if (next && rgb && e.loadRgb) {
      e.loadRgb(format, pixels);
      return { format, data: TAKEN, inEncoder: true };
    }
    if (next && format === 'yuv420p' && e.loadI420) {
      e.loadI420(pixels);
      return { format, data: TAKEN, inEncoder: true };
    }
    if (format === 'yuv420p' || rgb) {
      const data = this.buffer(pixels.length);
      data.set(pixels);
      return { format, data };
    }
    const data = this.buffer((this.loop.width * this.loop.height * 3) / 2);
    this.converter.toI420(pixels, format, data);
    return { format: 'yuv420p', data };
  }

  async encode(index: number, frame: Frame, deliver: Deliver): Promise<void> {
    const coded = await this.loop.encode(index, frame);
    if (frame.inEncoder) return deliver(coded);
    const list = this.free.get(frame.data.length);
    if (list) list.push(frame.data);
    else this.free.set(frame.data.length, [frame.data]);
    await deliver(coded);
  }

  async render(start: number, count: number, deliver: Deliver): Promise<void> {
    const draw = this.scene;
    if (!draw) throw new Error('internal: render() on a writer opened without a scene');
    for (let i = start; i < start + count; i++) await deliver(await this.loop.draw(i, draw));
  }

  async flush(deliver: Deliver): Promise<void> {
    await deliver(await this.loop.flush());
  }

  onFailure(): void {
    // Failures surface from the calls themselves.
  }

  close(): Promise<void> {
    return this.loop.close();
  }
}

class PoolEncoder implements FrameEncoder {
  readonly backend: BackendInfo;

  constructor(
    private readonly pool: ChunkPool,
    backend: BackendInfo,
    private readonly video: ResolvedVideo,
    /** A function scene: drawn here, the workers only encode. */
    private readonly draw: DrawFrame | null,
    private readonly converter: FrameConverter,
    /** Gives a WorkerPool back its workers (they are released or terminated by then); a no-op for workers of its own. */
    private readonly endLease: () => void,
  ) {
    this.backend = { id: backend.id, version: backend.version };
  }

  get config(): AvcConfig {
    return this.pool.config;
  }

  /** Frames cross to the workers as I420 (less to hold in flight than RGB), converted here. */
  takeFrame(pixels: Uint8Array | Uint8ClampedArray, format: PixelFormat): Frame {
    const data = this.pool.yuvBuffer();
    if (format === 'yuv420p') data.set(pixels);
    else this.converter.toI420(pixels, format, data);
    return { format: 'yuv420p', data };
  }

  async encode(_index: number, frame: Frame, deliver: Deliver): Promise<void> {
    while (!this.pool.hasRoom()) {
      await this.pool.wait();
      await deliver(this.pool.take());
    }
    this.pool.submit(frame.data);
    await deliver(this.pool.take());
  }

  async render(start: number, count: number, deliver: Deliver): Promise<void> {
    const draw = this.draw;
    if (draw) {
      const painter = new FramePainter(this.video.width, this.video.height, this.converter);
      for (let i = start; i < start + count; i++) {
        const yuv = this.pool.yuvBuffer();
        await painter.paint(i, draw, yuv);
        await this.encode(i, { format: 'yuv420p', data: yuv }, deliver);
      }
      return;
    }
    this.pool.render(start, count);
    await this.drain(deliver);
  }

  async flush(deliver: Deliver): Promise<void> {
    this.pool.endInput();
    await this.drain(deliver);
  }

  onFailure(handler: (error: Mp4ForgeError) => void): void {
    this.pool.onFailure = handler;
  }

  close(): Promise<void> {
    return this.pool.close().finally(this.endLease);
  }

  /** Delivers what the pool has ready until it has nothing left in flight. */
  private async drain(deliver: Deliver): Promise<void> {
    for (;;) {
      await deliver(this.pool.take());
      if (this.pool.idle) return;
      await this.pool.wait();
    }
  }
}
