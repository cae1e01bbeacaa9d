// Packed RGB → I420 for the frames that are not converted inside an encoder (the worker pool's
// input, and backends that take only I420): in WebAssembly with v128 where the runtime has it — the
// encoder module's own kernel, same bytes as toI420 (convert.ts), several times faster — else in JS.
import type { RgbPixelFormat } from './convert.js';
import { toI420 } from './convert.js';
import { RGB_CODES, loadEncoderModule, wasmSimdSupported } from './h264/module.js';

export interface FrameConverter {
  /** Converts one frame of this converter's size; checks lengths like toI420. */
  toI420(pixels: Uint8Array | Uint8ClampedArray, format: RgbPixelFormat, out: Uint8Array): void;
}

interface ConverterExports {
  memory: WebAssembly.Memory;
  scratch(bytes: number): number;
  convertRgb(src: number, format: number, width: number, height: number, y: number, u: number, v: number): void;
}

/** A converter for width x height frames: the WASM kernel when it can run here, else toI420. */
export async function openFrameConverter(width: number, height: number): Promise<FrameConverter> {
  const js: FrameConverter = { toI420: (pixels, format, out) => toI420(pixels, format, width, height, out) };
  if (!(await wasmSimdSupported())) return js;
  let x: ConverterExports;
  try {
    const instance = await WebAssembly.instantiate(await loadEncoderModule(), { env: { abort: () => undefined } });
    x = instance.exports as unknown as ConverterExports;
  } catch {
    return js; // a runtime that refuses compiling from bytes: the JS conversion gives the same bytes
  }
  const src = x.scratch(width * height * 4 + 64);
  const ySize = width * height;
  const dst = x.scratch((ySize * 3) / 2 + 64);
  return {
    toI420(pixels, format, out) {
      // The JS conversion checks every argument (and throws its errors); only the arithmetic moves.
      const bpp = format === 'rgb24' ? 3 : 4;
      if (pixels.length !== width * height * bpp || out.length !== (ySize * 3) / 2 || !(format in RGB_CODES)) {
        toI420(pixels, format, width, height, out);
        return;
      }
      new Uint8Array(x.memory.buffer).set(pixels, src);
      x.convertRgb(src, RGB_CODES[format], width, height, dst, dst + ySize, dst + ySize + ySize / 4);
      out.set(new Uint8Array(x.memory.buffer, dst, (ySize * 3) / 2));
    },
  };
}
