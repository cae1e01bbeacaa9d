// Node I/O used by the writer: file outputs, stream.Writable outputs, the faststart spool and MP3
// file paths. The browser build swaps this module for io.browser.ts (see tsup.config.ts), so no
// Node builtin is ever reachable from the browser entry.
import type { Writable } from 'node:stream';
import { Mp4ForgeError } from '../errors.js';
import type { Sink } from '../mux/sink.js';

/** Opens a file for writing as a seekable Sink. */
export async function openFileSink(path: string): Promise<Sink> {
  const { FileSink } = await import('../mux/node-sinks.js');
  return FileSink.open(path);
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
