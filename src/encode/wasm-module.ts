// Loads h264-mp4-encoder's Emscripten module once per JS realm (thread) and neutralises the
// process-wide handlers its Node build installs at import time.
import { Mp4ForgeError } from '../errors.js';

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
 * Imports the encoder package (once). Its Node build registers `uncaughtException` (rethrow) and
 * `unhandledRejection` (abort the WASM runtime) listeners on `process`; those would hijack the
 * host application, so the ones added during import are removed again.
 */
export function loadWasmModule(): Promise<HmeModule> {
  loading ??= (async () => {
    const proc = (globalThis as { process?: NodeJS.Process }).process;
    const before = proc?.listeners
      ? {
          uncaught: new Set(proc.listeners('uncaughtException')),
          rejection: new Set(proc.listeners('unhandledRejection')),
        }
      : undefined;
    try {
      const mod = (await import('h264-mp4-encoder')) as unknown as HmeModule & { default?: HmeModule };
      const api = typeof mod.createH264MP4Encoder === 'function' ? mod : mod.default;
      if (!api || typeof api.createH264MP4Encoder !== 'function') {
        throw new Mp4ForgeError('ENCODER_FAILED', 'h264-mp4-encoder did not export createH264MP4Encoder; expected version 1.0.12');
      }
      return api;
    } finally {
      if (proc && before) {
        for (const l of proc.listeners('uncaughtException')) if (!before.uncaught.has(l)) proc.removeListener('uncaughtException', l);
        for (const l of proc.listeners('unhandledRejection')) if (!before.rejection.has(l)) proc.removeListener('unhandledRejection', l);
      }
    }
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
