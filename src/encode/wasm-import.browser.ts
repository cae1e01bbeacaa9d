// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration: every build that bundles this file must see it
/// <reference path="./h264-web.d.ts" />
// Browser / Web Worker / edge flavour: h264-mp4-encoder's web build (no `fs`/`path`/`crypto`
// requires; webpack shims instead). That file is a classic script (`var HME = …`), not a module, so
// the build wraps it with `export default HME` (see tsup.config.ts) and emits it as its own chunk:
// the encoder (WASM embedded as base64) is only loaded when the first encoder is created.

export async function importEncoderPackage(): Promise<unknown> {
  const mod = await import('h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js');
  return mod.default;
}
