// Packed RGB → I420 for the frames that are not converted inside an encoder (the worker pool's
// input, and backends that take only I420): in WebAssembly with v128 where the runtime has it — the
// encoder module's own kernel, same bytes as toI420 (convert.ts), several times faster — else in JS.
import type { RgbPixelFormat } from './convert.js';
import { toI420 } from './convert.js';
import { RGB_CODES, convertByStrips, loadEncoderModule, wasmSimdSupported } from './h264/module.js';

export interface FrameConverter {
  /** Converts one frame of this converter's size; checks lengths like toI420. */
  toI420(pixels: Uint8Array | Uint8ClampedArray, format: RgbPixelFormat, out: Uint8Array): void;
}

interface ConverterExports {
  memory: WebAssembly.Memory;
  scratch(bytes: number): number;
  stripRows(): number;
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
  // The frame goes in by strips of the module's stripRows() rows, each converted while it is still
  // in cache (convertByStrips): the same bytes as converting it whole, ~15% faster, and no
  // frame-sized copy. Each strip's I420 rows go out at once too, from a strip-sized buffer that
  // stays in cache, instead of a frame-sized one copied out at the end.
  const rows = x.stripRows();
  const src = x.scratch(width * 4 * rows + 64);
  const ySize = width * height;
  const cw = width / 2;
  const dstY = x.scratch((width * rows * 3) / 2 + 64);
  const dstU = dstY + width * rows;
  const dstV = dstU + (cw * rows) / 2;
  return {
    toI420(pixels, format, out) {
      // The JS conversion checks every argument (and throws its errors); only the arithmetic moves.
      const rowBytes = width * (format === 'rgb24' ? 3 : 4);
      if (pixels.length !== rowBytes * height || out.length !== (ySize * 3) / 2 || !(format in RGB_CODES)) {
        toI420(pixels, format, width, height, out);
        return;
      }
      const code = RGB_CODES[format];
      const mem = new Uint8Array(x.memory.buffer); // the conversion allocates nothing: the view stays valid
      convertByStrips(x.memory, src, rows, pixels, rowBytes, height, (y, n) => {
        x.convertRgb(src, code, width, n, dstY, dstU, dstV);
        const c = (y / 2) * cw;
        const cn = (n / 2) * cw;
        out.set(mem.subarray(dstY, dstY + n * width), y * width);
        out.set(mem.subarray(dstU, dstU + cn), ySize + c);
        out.set(mem.subarray(dstV, dstV + cn), ySize + ySize / 4 + c);
      });
    },
  };
}
