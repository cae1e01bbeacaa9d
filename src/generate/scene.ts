// Scenes: frame sources that live in a module of their own, so a worker (or another process) can
// import them by URL and draw frames itself instead of receiving pixels over a channel.
import { Mp4ForgeError } from '../errors.js';
import { checkSceneModule } from '../platform/io.js';
import { drawPattern, patterns, type PatternName } from './patterns.js';

/**
 * What a scene module exports as `draw` (or as its default export): paint frame `frameIndex`
 * into `rgba` (`width*height*4` bytes, RGBA). It must be a pure function of its arguments (plus
 * whatever the module sets up once) so frames can be drawn in any order, on any thread.
 *
 * @example
 * // scene.js
 * export function draw(frameIndex, rgba, width, height) {
 *   rgba.fill(frameIndex % 256);
 * }
 */
export type SceneDraw = (frameIndex: number, rgba: Uint8Array, width: number, height: number) => void | Promise<void>;

/** A scene: a module URL (or specifier) exporting {@link SceneDraw}, or a built-in pattern name. */
export type SceneSpec = URL | string;

/** True when `spec` names a built-in pattern rather than a module. */
export function isPatternScene(spec: SceneSpec): spec is PatternName {
  return typeof spec === 'string' && Object.prototype.hasOwnProperty.call(patterns, spec);
}

/** The draw function a scene module exports: `draw`, a default export that is a function, or `default.draw`. */
export function sceneDrawFrom(mod: unknown, where: string): SceneDraw {
  const m = mod as { draw?: unknown; default?: unknown } | null;
  const candidate =
    typeof m?.draw === 'function' ? m.draw : typeof m?.default === 'function' ? m.default : (m?.default as { draw?: unknown } | undefined)?.draw;
  if (typeof candidate !== 'function') {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `scene ${where} must export a function draw(frameIndex, rgba, width, height) (named export 'draw' or default export)`,
    );
  }
  return candidate as SceneDraw;
}

/**
 * Resolves a scene to its draw function: a pattern name gives the built-in pattern; anything
 * else is imported as an ES module (a `URL`, a `file:`/`data:`/`http:` URL string or a bare
 * specifier resolvable from mp4forge).
 */
export async function loadScene(spec: SceneSpec): Promise<SceneDraw> {
  if (isPatternScene(spec)) {
    const name = spec;
    return (i, rgba, width, height) => drawPattern(name, rgba, width, height, i);
  }
  const where = spec instanceof URL ? spec.href : String(spec);
  if (!(spec instanceof URL) && (typeof spec !== 'string' || spec.length === 0)) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `scene must be a module URL or a pattern name (${Object.keys(patterns).join(', ')}), got ${JSON.stringify(spec)}`,
    );
  }
  await checkSceneModule(where);
  let mod: unknown;
  try {
    mod = await import(/* @vite-ignore */ where);
  } catch (err) {
    throw new Mp4ForgeError('INVALID_OPTION', `scene ${where} could not be imported: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      details: { option: 'scene' },
    });
  }
  return sceneDrawFrom(mod, where);
}
