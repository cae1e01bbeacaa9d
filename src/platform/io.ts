// Node I/O used by the writer: file outputs, stream.Writable outputs, the faststart spool and MP3
// file paths. The browser build swaps this module for io.browser.ts (see tsup.config.ts), so no
// Node builtin is ever reachable from the browser entry.
import type { Writable } from 'node:stream';
import { Mp4ForgeError } from '../errors.js';
import type { Sink } from '../mux/sink.js';
import { cutFrames, type RawFramesRead } from '../cut-frames.js';

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

/**
 * Raw frames from the file descriptor `fd` (readRawFrames): in Node a pipe or socket is read on a
 * thread of its own (pipe-frames.ts), which closes `fd` when done; anything else (a file; any
 * descriptor in Bun and Deno, whose worker threads and sockets do not do what that reader needs:
 * Bun's never returned a frame) is read in chunks of whole frames and left open.
 */
export async function* fdFrames(fd: number, frameSize: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, RawFramesRead, undefined> {
  const { isPipe, readPipeFrames } = await import('./pipe-frames.js');
  try {
    if (isNode() && isPipe(fd)) return yield* readPipeFrames(fd, frameSize, signal);
    return yield* cutFrames(fdChunks(fd, wholeFramesChunk(frameSize)), frameSize, signal);
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    throw new Mp4ForgeError('INVALID_OPTION', `readRawFrames: cannot read file descriptor ${fd}: ${(err as Error).message}`, { cause: err });
  }
}

/** A read size for files: whole frames, about 4 MiB, so nearly every frame is a view of a chunk, not a copy. */
function wholeFramesChunk(frameSize: number): number {
  return Math.max(1, Math.floor((4 << 20) / frameSize)) * frameSize;
}

/**
 * `fd`'s bytes in chunks of up to `size`, read into one buffer: cutFrames asks for a chunk only
 * once the frames of the one before were let go. (Not an fs.ReadStream: destroying one closes
 * the descriptor, which belongs to the caller.)
 */
async function* fdChunks(fd: number, size: number): AsyncGenerator<Uint8Array, void, undefined> {
  const { read } = await import('node:fs');
  const buffer = new Uint8Array(size);
  for (;;) {
    const n = await new Promise<number>((resolve, reject) => read(fd, buffer, 0, size, null, (err, k) => (err ? reject(err) : resolve(k))));
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

/** Node itself, not Bun or Deno (which also run the Node build). */
function isNode(): boolean {
  return process.versions.bun === undefined && !('Deno' in globalThis);
}
