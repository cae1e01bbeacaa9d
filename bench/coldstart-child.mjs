// One cold start, in a fresh process of Node, Bun or Deno: import mp4forge, create a writer (compiles
// and instantiates the WASM encoder; the SPS/PPS come from the options), encode the first frame.
// The frame itself (a smooth gradient, drawn by this script before the clock starts) is the
// caller's work and is not counted. Prints the phase times as JSON. Args: <entry file> <esm|cjs> <width> <height>
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const [entry, kind, w, h] = args;
const width = Number(w);
const height = Number(h);
const rgba = new Uint8Array(width * height * 4);
for (let y = 0, i = 0; y < height; y++) {
  for (let x = 0; x < width; x++, i += 4) {
    rgba[i] = x & 255;
    rgba[i + 1] = y & 255;
    rgba[i + 2] = (x + y) & 255;
    rgba[i + 3] = 255;
  }
}

const t0 = performance.now(); // ms since the runtime's time origin (≈ process start)
const lib = kind === 'cjs' ? createRequire(import.meta.url)(entry) : await import(pathToFileURL(entry).href);
const t1 = performance.now();
const writer = await lib.createMp4Writer({ width, height, fps: 30, output: { buffer: true } });
const t2 = performance.now();
await writer.addFrame(rgba);
const t3 = performance.now();
await writer.abort();
console.log(JSON.stringify({ runtimeStartMs: t0, importMs: t1 - t0, readyMs: t2 - t1, firstFrameMs: t3 - t2, totalMs: t3 - t0, sinceOriginMs: t3 }));
