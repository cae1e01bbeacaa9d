// Node (and Bun/Deno) flavour: imports h264-mp4-encoder's Node build. Its Emscripten glue registers
// `uncaughtException` (rethrow) and `unhandledRejection` (abort the WASM runtime) listeners on
// `process` at import time; those would hijack the host application, so the ones added during the
// import are removed again. The browser build swaps this file for wasm-import.browser.ts.

/** Imports the encoder package and returns its module namespace (or CJS exports). */
export async function importEncoderPackage(): Promise<unknown> {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const before = proc?.listeners
    ? { uncaught: new Set(proc.listeners('uncaughtException')), rejection: new Set(proc.listeners('unhandledRejection')) }
    : undefined;
  try {
    return await import('h264-mp4-encoder');
  } finally {
    if (proc && before) {
      for (const l of proc.listeners('uncaughtException')) if (!before.uncaught.has(l)) proc.removeListener('uncaughtException', l);
      for (const l of proc.listeners('unhandledRejection')) if (!before.rejection.has(l)) proc.removeListener('unhandledRejection', l);
    }
  }
}
