// workerd / edge flavour of wasm-import.ts: h264-mp4-encoder's Emscripten/embind glue calls
// `new Function` and compiles its WASM from bytes, both of which these runtimes forbid, so the
// backend is refused here instead of bundling 2 MB that cannot run.
import { Mp4ForgeError } from '../errors.js';

export function importEncoderPackage(): Promise<unknown> {
  return Promise.reject(
    new Mp4ForgeError(
      'UNSUPPORTED_RUNTIME',
      "video.encoder 'h264-mp4-encoder' cannot run in workerd or edge runtimes: its glue generates code at run time (new Function), " +
        "which they forbid; use the default encoder 'wasm'",
    ),
  );
}
