// Node I/O used by the writer: file outputs, stream.Writable outputs, the faststart spool and MP3
// file paths. The browser build swaps this module for io.browser.ts (see tsup.config.ts), so no
// Node builtin is ever reachable from the browser entry.
import type { Writable } from 'node:stream';
import { Mp4ForgeError } from '../errors.js';
import type { Sink } from '../mux/sink.js';

/**
 * Opens a file output: written to a temporary file beside `path` and renamed over it when
 * complete (src/platform/file-output.ts); a device or FIFO is written directly, as a stream.
 */
export async function openFileSink(path: string): Promise<Sink> {
  const { openFileOutput } = await import('./file-output.js');
  return openFileOutput(path);
}

/** An input of a run that the output must not overwrite: what it is (for the message) and its path or file: URL. */
export interface RunInput {
  what: string;
  path: string | URL;
}

/** Refuses (INVALID_OPTION) an output path that is the same file as one of `inputs` (links count). */
export async function refuseOutputOverInputs(output: string, inputs: readonly RunInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const { refuseOutputOverInputs: refuse } = await import('./file-output.js');
  return refuse(output, inputs);
}

/** Adapts a Node stream.Writable (already duck-typed by the caller). */
export async function nodeWritableSink(stream: unknown): Promise<Sink> {
  const { NodeWritableSink } = await import('../mux/node-sinks.js');
  return new NodeWritableSink(stream as Writable);
}

/** A temporary file that holds media data until the moov can be written in front of it. */
export const openSpool: (() => Promise<Sink>) | undefined = async () => {
  const { openTempFileSink } = await import('../mux/node-sinks.js');
  return openTempFileSink();
};

/** Refuses a `.js` scene module with ES module syntax in a CommonJS package (see scene-check.ts), before any thread imports it. */
export async function checkSceneModule(ref: string): Promise<void> {
  const { checkSceneModule: check } = await import('./scene-check.js');
  return check(ref);
}

/** Reads a file in 1 MiB chunks; read errors become INVALID_OPTION naming the path. */
export async function* fileChunks(path: string, what: string): AsyncGenerator<Uint8Array> {
  const { createReadStream } = await import('node:fs');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  } catch (err) {
    throw new Mp4ForgeError('INVALID_OPTION', `${what}: cannot read '${path}': ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
}
