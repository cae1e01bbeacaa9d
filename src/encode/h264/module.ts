// The compiled encoder module, shared by every instance in a realm: mp4forge's H.264 encoder and
// its RGB → I420 converter (the same module, used without configure()). Compiled from the bytes the
// build embeds (base64), or given precompiled where a runtime only accepts .wasm imports (workerd).
import type { RgbLayout } from '../backend.js';
import { Mp4ForgeError } from '../../errors.js';
import { encoderWasmBytes } from './wasm-bytes.js';

/** The codes asm/convert.ts gives the packed RGB layouts. */
export const RGB_CODES: Record<RgbLayout, number> = { rgba: 0, bgra: 1, rgb24: 2 };

let compiled: Promise<WebAssembly.Module> | undefined;
/** A module the runtime compiled for us (a `.wasm` module import): SIMD is known to work. */
let provided = false;

// The smallest module that needs SIMD: one function returning a v128 constant. Validating it is
// instant, where validating the encoder itself took ~10 ms of a cold start (a synchronous pass over
// all of it on the main thread); the engines shipped SIMD128 as one feature, so this answers for
// every instruction the encoder uses.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b, // code: v128.const 0; end
]);

/** Whether this runtime runs WebAssembly with v128 SIMD (the encoder needs it). */
export function wasmSimdSupported(): Promise<boolean> {
  if (provided) return Promise.resolve(true);
  try {
    return Promise.resolve(typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE));
  } catch {
    return Promise.resolve(false);
  }
}

/** Compiles the module once per realm; a precompiled module (workerd imports the .wasm) may be given instead. */
export function loadEncoderModule(precompiled?: WebAssembly.Module): Promise<WebAssembly.Module> {
  if (precompiled) {
    provided = true;
    compiled = Promise.resolve(precompiled);
  }
  compiled ??= encoderWasmBytes().then((bytes) => WebAssembly.compile(bytes));
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

/**
 * Why the module could not be compiled: a runtime that forbids compiling WebAssembly from bytes
 * (a Content-Security-Policy without 'wasm-unsafe-eval', Cloudflare workerd, edge runtimes), or one
 * without WebAssembly SIMD.
 */
export function compileError(err: unknown): Mp4ForgeError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (/disallowed|Content Security Polic|unsafe-eval|code generation/i.test(text)) {
    return new Mp4ForgeError(
      'UNSUPPORTED_RUNTIME',
      "mp4forge's H.264 encoder cannot be compiled here: this runtime forbids compiling WebAssembly from bytes " +
        `(${text}). In a page, allow it with the CSP source 'wasm-unsafe-eval'; in Cloudflare Workers and edge runtimes, ` +
        "import mp4forge's workerd build, which imports the encoder as a precompiled .wasm module (README, Runtimes)",
      { cause: err },
    );
  }
  return new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    `mp4forge's H.264 encoder needs WebAssembly with SIMD, which this runtime could not compile (${text}); use video.encoder 'h264-mp4-encoder'`,
    { cause: err },
  );
}

/**
 * Puts a packed RGB frame into a module instance by strips: copies `rows` rows of `pixels` at a
 * time to `strip` in `memory` and calls `convert(firstRow, count)` on each before the next, so the
 * conversion reads the strip from cache (the encoder's loadRgb and the pool's converter). `rows`
 * is even, so every strip holds whole chroma rows and the bytes equal a whole-frame conversion.
 */
export function convertByStrips(
  memory: WebAssembly.Memory,
  strip: number,
  rows: number,
  pixels: Uint8Array | Uint8ClampedArray,
  rowBytes: number,
  height: number,
  convert: (firstRow: number, count: number) => void,
): void {
  const mem = new Uint8Array(memory.buffer); // the conversion allocates nothing, so this view stays valid
  for (let y = 0; y < height; y += rows) {
    const n = Math.min(rows, height - y);
    mem.set(pixels.subarray(y * rowBytes, (y + n) * rowBytes), strip);
    convert(y, n);
  }
}
