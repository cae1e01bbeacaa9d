// readRawFrames: the public way to cut raw video frames out of bytes that arrive from elsewhere
// (another process's pipe, a socket, a file, a fetch body), as `mp4forge encode` reads its input.
import { cutFrames, type RawFramesRead } from './cut-frames.js';
import { Mp4ForgeError } from './errors.js';
import { fdFrames } from './platform/io.js';

export type { RawFramesRead } from './cut-frames.js';

/** What readRawFrames reads: a file descriptor (Node, Bun, Deno), a web ReadableStream, or any async iterable of byte chunks (a Node Readable). */
export type RawFramesInput = number | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of readRawFrames. */
export interface ReadRawFramesOptions {
  /** Aborting rejects a pending read with the signal's reason, and stops reading. */
  signal?: AbortSignal;
}

/**
 * Yields the whole frames of `frameSize` bytes (see `bytesPerFrame`) in `input`, in order, for
 * `writer.addFrame`. Frames are back to back with no headers, as `ffmpeg -f rawvideo` reads them.
 *
 * A yielded frame is valid until the next one is asked for: pass it to `addFrame` (which copies
 * it) before going on. At most one more frame is read meanwhile, so memory stays bounded whatever
 * the producer does.
 *
 * - A **file descriptor** of a pipe or socket (fd 0 when another program pipes frames in) is read,
 *   in Node, on a thread of its own, straight into a ring of two frames, so that reading overlaps
 *   encoding; the descriptor is closed when reading ends. Any other descriptor (a file), and any
 *   descriptor in Bun and Deno, is read in chunks of whole frames and left open. Browsers and edge
 *   runtimes have no descriptors: `UNSUPPORTED_RUNTIME`.
 * - A **ReadableStream** or **async iterable** is read chunk by chunk; a frame inside one chunk is
 *   yielded as a view of it. Stopping early cancels the stream.
 *
 * The generator's return value (`done: true`) says what was read: `frames`, `bytes`, and
 * `leftover`, the bytes after the last whole frame (not 0 when the input ended inside a frame;
 * those bytes are not yielded).
 *
 * @example
 * ```ts
 * // python render.py | node encode.mjs
 * import { bytesPerFrame, createMp4Writer, readRawFrames } from 'mp4forge';
 *
 * const writer = await createMp4Writer({ width: 1280, height: 720, fps: 30, output: 'out.mp4' });
 * for await (const frame of readRawFrames(0, bytesPerFrame('rgba', 1280, 720))) await writer.addFrame(frame);
 * await writer.finish();
 * ```
 * @throws Mp4ForgeError `INVALID_OPTION` for a `frameSize` that is not a positive integer or an
 * input of another type, before anything is read.
 */
export function readRawFrames(
  input: RawFramesInput,
  frameSize: number,
  options: ReadRawFramesOptions = {},
): AsyncGenerator<Uint8Array, RawFramesRead, undefined> {
  if (!Number.isSafeInteger(frameSize) || frameSize <= 0) {
    const got = String(frameSize);
    throw new Mp4ForgeError('INVALID_OPTION', `readRawFrames: frameSize must be a positive whole number of bytes (see bytesPerFrame), got ${got}`);
  }
  const { signal } = options;
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new Mp4ForgeError('INVALID_OPTION', `readRawFrames: a file descriptor must be a whole number ≥ 0, got ${input}`);
    }
    return fdFrames(input, frameSize, signal);
  }
  if (isReadableStream(input)) return cutFrames(webStreamChunks(input), frameSize, signal);
  if (input !== null && typeof input === 'object' && Symbol.asyncIterator in input) return cutFrames(input, frameSize, signal);
  throw new Mp4ForgeError(
    'INVALID_OPTION',
    `readRawFrames: input must be a file descriptor, a ReadableStream or an async iterable of Uint8Array chunks, got ${describe(input)}`,
  );
}

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return x !== null && typeof x === 'object' && typeof (x as ReadableStream).getReader === 'function';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return x.constructor?.name ?? 'an object';
}

/**
 * A ReadableStream's chunks as an async iterator (not every browser makes streams async-iterable),
 * whose return() cancels the stream at once, even while a read is pending.
 */
function webStreamChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    async return() {
      await reader.cancel().catch(() => {});
      reader.releaseLock();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
