/**
 * mp4forge for Cloudflare Workers (workerd), Vercel edge functions and other runtimes that refuse to
 * compile WebAssembly from bytes (the `workerd`, `edge-light` and `worker` conditions): the browser
 * build's API, with the H.264 encoder imported as a precompiled `.wasm` module — the only way these
 * runtimes accept WebAssembly. Wrangler and Next.js turn `import … from './h264.wasm?module'` into
 * a `WebAssembly.Module` compiled when the worker is deployed; this entry hands it to the encoder
 * before any writer is created. h264-mp4-encoder (which needs `new Function`) is not available here.
 * @packageDocumentation
 */
import encoderModule from './h264.wasm?module';
import { loadEncoderModule } from './encode/h264/module.js';

void loadEncoderModule(encoderModule);

export * from './index.js';
