// Loads h264-mp4-encoder's Emscripten module once per JS realm (thread).
import { Mp4ForgeError } from '../errors.js';
import { importEncoderPackage } from './wasm-import.js';

/** The subset of h264-mp4-encoder's instance API that mp4forge uses. */
export interface HmeEncoder {
  outputFilename: string;
  width: number;
  height: number;
  frameRate: number;
  kbps: number;
  speed: number;
  quantizationParameter: number;
  groupOfPictures: number;
  temporalDenoise: boolean;
  desiredNaluBytes: number;
  debug: boolean;
  initialize(): void;
  addFrameYuv(buffer: Uint8Array): void;
  addFrameRgba(buffer: Uint8Array): void;
  finalize(): void;
  delete(): void;
  FS: EmscriptenFs;
}

/** Emscripten's FS as exposed (minified) by the package; only unminified names are used. */
export interface EmscriptenFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  open(path: string, flags: string): { node: Record<string, unknown> };
  close(stream: unknown): void;
}

interface HmeModule {
  createH264MP4Encoder(): Promise<HmeEncoder>;
}

let loading: Promise<HmeModule> | undefined;

/**
 * Imports the encoder package once per realm: the Node build in Node/Bun/Deno, the web build in
 * the browser build (wasm-import.ts / wasm-import.browser.ts, chosen by tsup.config.ts).
 */
export function loadWasmModule(): Promise<HmeModule> {
  loading ??= (async () => {
    let mod: Partial<HmeModule> & { default?: Partial<HmeModule> };
    try {
      mod = (await importEncoderPackage()) as typeof mod;
    } catch (err) {
      throw encoderImportError(err);
    }
    const api = typeof mod?.createH264MP4Encoder === 'function' ? mod : mod?.default;
    if (!api || typeof api.createH264MP4Encoder !== 'function') {
      throw new Mp4ForgeError('ENCODER_FAILED', 'h264-mp4-encoder did not export createH264MP4Encoder; expected version 1.0.12');
    }
    return api as HmeModule;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/**
 * Runtimes that forbid code generation (Cloudflare workerd, pages whose CSP lacks 'unsafe-eval' /
 * 'wasm-unsafe-eval') refuse the encoder's Emscripten/embind glue, which calls `new Function` and
 * compiles its WASM from bytes when it is imported. Say so instead of leaking a bare EvalError.
 */
function encoderImportError(err: unknown): Mp4ForgeError {
  if (err instanceof Mp4ForgeError) return err; // the workerd build's refusal
  const e = err as { name?: string; message?: string };
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  if ((e?.name === 'EvalError' || e?.name === 'CompileError') && /disallowed|unsafe-eval|Content Security Policy/i.test(text)) {
    return new Mp4ForgeError(
      'UNSUPPORTED_RUNTIME',
      `the H.264 encoder cannot start here: this runtime forbids run-time code generation, which h264-mp4-encoder's glue needs (new Function, WebAssembly compile from bytes) (${text}); see the README section "Runtimes"`,
      { cause: err },
    );
  }
  return new Mp4ForgeError('ENCODER_FAILED', `could not load h264-mp4-encoder: ${text}`, { cause: err });
}
