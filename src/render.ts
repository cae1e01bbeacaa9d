// renderVideo: frames drawn by a scene, encoded and muxed. A scene module (URL or pattern name) is
// drawn inside worker threads, in GOP-aligned chunks, so no pixels cross threads (only coded frames
// do); with workers: 0 it is imported and drawn on the calling thread. A scene function cannot be
// sent to a worker, so it is always drawn on the calling thread, and encoded there (the default,
// workers: 0) or in workers that only encode.
import { Mp4ForgeError } from './errors.js';
import type { SceneDraw, SceneSpec } from './generate/scene.js';
import { resolveFrameCount } from './options.js';
import type { SceneSource } from './pipeline/frame-encoder.js';
import { openWriter, WRITER_KEYS, type Mp4WriterOptions, type Mp4WriterResult } from './writer.js';
import { refuse } from './validate.js';
import type { WorkerPool } from './pool/worker-pool.js';

export interface RenderVideoOptions extends Omit<Mp4WriterOptions, 'pixelFormat' | 'workers'> {
  /** Number of frames to render, counted from 0. */
  frames: number;
  /**
   * What to draw: a built-in pattern name ('noise', 'bars', ...), the URL of an ES module that
   * exports `draw(frameIndex, rgba, width, height)` (see {@link SceneDraw}; each worker imports
   * it), or that draw function itself (drawn on the calling thread: a function cannot be sent to
   * a worker).
   */
  scene: SceneSpec | SceneDraw;
  /**
   * Workers (Node worker threads, or module Web Workers in browsers): a number or 'auto' (one per
   * available core). Default 'auto' for a module or pattern scene (drawn and encoded in the
   * workers; at least 1), 0 for a scene function (drawn and encoded on the calling thread; with
   * workers, they only encode). A {@link WorkerPool} lends its threads for this render.
   */
  workers?: number | 'auto' | WorkerPool;
}

const RENDER_KEYS = WRITER_KEYS.filter((k) => k !== 'pixelFormat');

/**
 * Renders `frames` frames of `scene` into an MP4. With a scene module or pattern, frames are drawn
 * and encoded in parallel workers (worker threads in Node, module Web Workers in browsers; a scene
 * module must then be a URL the workers can import); the result is byte-identical for any number of
 * workers. A throw in the scene rejects with USER_CALLBACK_FAILED and `details.frameIndex`; a
 * crashed worker with WORKER_FAILED. On any failure or abort every worker is terminated and the
 * output is closed (a non-fragmented file is deleted).
 *
 * @example
 * await renderVideo({
 *   width: 1920, height: 1080, fps: 30, frames: 600,
 *   scene: new URL('./scene.js', import.meta.url), workers: 'auto',
 *   audio: 'song.mp3', output: 'out.mp4',
 * });
 */
export async function renderVideo(options: RenderVideoOptions): Promise<Mp4WriterResult> {
  if (!options || typeof options !== 'object') throw new Mp4ForgeError('INVALID_OPTION', 'renderVideo needs an options object');
  const { frames, scene, ...rest } = options;
  const count = resolveFrameCount(frames, 'frames');
  const writer = await openWriter(rest, 'renderVideo', RENDER_KEYS, sceneSource(scene, options.width, options.height));
  await writer.renderScene(count);
  return writer.finish();
}

/** What a worker can import (a pattern name, or a URL string), or a function drawn on this thread. */
function sceneSource(scene: unknown, width: number, height: number): SceneSource {
  if (scene instanceof URL) return { kind: 'module', ref: scene.href };
  if (typeof scene === 'string' && scene.length > 0) return { kind: 'module', ref: scene };
  if (typeof scene === 'function') {
    const draw = scene as SceneDraw;
    return { kind: 'function', draw: (i, rgba) => draw(i, rgba, width, height) };
  }
  throw refuse('scene', 'a module URL, a built-in pattern name or a draw function (frameIndex, rgba, width, height)', scene);
}
