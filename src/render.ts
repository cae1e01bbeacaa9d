// renderVideo: frames drawn inside worker threads by a scene module, encoded there in GOP-aligned
// chunks and muxed in order on the calling thread. No pixels cross threads; only coded frames do.
import { Mp4ForgeError } from './errors.js';
import type { SceneDraw, SceneSpec } from './generate/scene.js';
import { openWriter, type Mp4WriterOptions, type Mp4WriterResult } from './writer.js';

export interface RenderVideoOptions extends Omit<Mp4WriterOptions, 'pixelFormat' | 'workers'> {
  /** Number of frames to render, counted from 0. */
  frames: number;
  /**
   * What to draw: a built-in pattern name ('noise', 'bars', ...) or the URL of an ES module that
   * exports `draw(frameIndex, rgba, width, height)` (see {@link SceneDraw}). Each worker imports it.
   */
  scene: SceneSpec;
  /** Worker threads: a number (at least 1) or 'auto' (default: one per available core). */
  workers?: number | 'auto';
}

/**
 * Renders `frames` frames of `scene` into an MP4, drawing and encoding in parallel worker threads
 * (Node). The result is byte-identical for any number of workers. A throw in the scene rejects with
 * USER_CALLBACK_FAILED and `details.frameIndex`; a crashed worker with WORKER_FAILED. On any failure
 * or abort every worker is terminated and the output is closed (a non-fragmented file is deleted).
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
  const { frames, scene, workers, ...rest } = options;
  if (!Number.isInteger(frames) || frames < 1) throw new Mp4ForgeError('INVALID_OPTION', `frames must be a positive integer, got ${JSON.stringify(frames)}`);
  const ref = sceneReference(scene);
  const writer = await openWriter({ ...rest, workers: workers ?? 'auto' }, ref);
  await writer.renderScene(frames);
  return writer.finish();
}

/** What a worker can import: a pattern name, or a URL string. */
function sceneReference(scene: unknown): string {
  if (scene instanceof URL) return scene.href;
  if (typeof scene === 'string' && scene.length > 0) return scene;
  throw new Mp4ForgeError('INVALID_OPTION', `scene must be a module URL or a built-in pattern name, got ${JSON.stringify(scene)}`);
}
