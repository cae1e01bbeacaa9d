// ffmpeg.wasm (@ffmpeg/core, single-threaded Emscripten build of ffmpeg + libx264) driven in Node
// by calling the core directly, and the x264 command lines the peers bench gives it and the
// native ffmpeg.
//
// Measured facts behind this module:
// - @ffmpeg/ffmpeg (the wrapper) needs a browser Worker, so the core is used directly.
// - The core's ESM build reads `self.location.href` (it thinks it runs in a worker): it is set
//   before the import. The .wasm bytes are passed as `wasmBinary` (no fetch in Node).
// - `exec` runs ffmpeg's main() synchronously and blocks the event loop: one encode per child
//   process (bench/ffmpeg-wasm-child.mjs), which also makes its CPU time and peak RSS its own.
// - Without `-pix_fmt yuv420p`, x264 encodes RGBA input as 4:4:4 (High 4:4:4 Predictive).
// - Input goes through MEMFS (a JS typed array outside the WASM heap); Emscripten's stdin would
//   call back into JS per byte.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The ESM core script and its .wasm. */
export function ffmpegCorePaths() {
  // The package exports only '.' and './wasm' (no './package.json'): resolve the CJS entry
  // (dist/umd/ffmpeg-core.js) and walk from it.
  const dir = join(dirname(require.resolve('@ffmpeg/core')), '..');
  const version = JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')).version;
  return { js: join(dir, 'esm', 'ffmpeg-core.js'), wasm: join(dir, 'esm', 'ffmpeg-core.wasm'), version };
}

/** Loads and instantiates the core; resolves with the Emscripten module (FS, exec, setLogger…). */
export async function loadFfmpegCore() {
  const { js, wasm } = ffmpegCorePaths();
  globalThis.self ??= { location: { href: pathToFileURL(js).href } };
  const { default: createFFmpegCore } = await import(pathToFileURL(js).href);
  return createFFmpegCore({ wasmBinary: readFileSync(wasm) });
}

/**
 * ffmpeg arguments for libx264 at constant qp from raw RGBA, the same for the native binary and
 * ffmpeg.wasm. `input` '-' reads a pipe; a file is looped (`-stream_loop -1`) to `frames` frames.
 * GOP `gop` (keyint, no scene-cut keyframes) like mp4forge's fixed GOP.
 */
export function x264Args({ width, height, fps, frames, preset, qp, threads, gop, input, output, extraInputs = [], extraOutput = [], loglevel = 'error' }) {
  return [
    '-hide_banner', '-nostats', '-loglevel', loglevel, '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', String(fps),
    ...(input === '-' ? [] : ['-stream_loop', '-1']), '-i', input,
    ...extraInputs,
    '-frames:v', String(frames),
    '-c:v', 'libx264', '-preset', preset, '-qp', String(qp), '-threads', String(threads),
    '-g', String(gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    ...extraOutput,
    '-f', 'mp4', output,
  ];
}

/** The x264 build that wrote a stream, from the SEI user data x264 puts in the first frame. */
export function x264Version(bytes) {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1 << 20)).toString('latin1');
  const m = /x264 - core (\d+)(?: (r\d+ [0-9a-f]+))?/.exec(s);
  return m ? `core ${m[1]}${m[2] ? ` ${m[2]}` : ''}` : null;
}
