// workerd / edge flavour of wasm-bytes.ts: these runtimes refuse to compile WebAssembly from bytes,
// so the build carries no bytes at all. Its entry (src/index.workerd.ts) imports dist/h264.wasm as
// a precompiled module and hands it to loadEncoderModule before any encoder is opened.
import { Mp4ForgeError } from '../../errors.js';

export function encoderWasmBytes(): Promise<Uint8Array<ArrayBuffer>> {
  return Promise.reject(
    new Mp4ForgeError(
      'UNSUPPORTED_RUNTIME',
      "mp4forge's workerd build compiles no WebAssembly from bytes and was not given the encoder module: " +
        "import 'mp4forge' through the workerd, edge-light or worker condition (its entry imports h264.wasm as a module)",
    ),
  );
}
