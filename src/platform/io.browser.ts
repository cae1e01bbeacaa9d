// Browser/worker/edge replacement for io.ts: there is no file system, so file paths are refused
// with a clear error instead of pulling `fs` into the bundle.
import { Mp4ForgeError } from '../errors.js';
import type { Sink } from '../mux/sink.js';
import type { RawFramesRead } from '../cut-frames.js';

function noFiles(what: string, path: string): Mp4ForgeError {
  return new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    `${what}: file paths ('${path}') need Node's file system, which the browser build of mp4forge does not have; ` +
      "pass bytes, a ReadableStream, a WritableStream, { buffer: true } or a Sink instead",
  );
}

export async function openFileSink(path: string): Promise<Sink> {
  throw noFiles('output', path);
}

export async function nodeWritableSink(_stream: unknown): Promise<Sink> {
  throw new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    'output: Node stream.Writable is not supported by the browser build; pass a WritableStream, { buffer: true } or a Sink',
  );
}

/** An input of a run that the output must not overwrite (see io.ts). */
export interface RunInput {
  what: string;
  path: string | URL;
}

/** No files here: a file output is refused by openFileSink, so there is nothing to compare. */
export async function refuseOutputOverInputs(_output: string, _inputs: readonly RunInput[]): Promise<void> {}

/** No files here: a scene is a URL the browser imports itself. */
export async function checkSceneModule(_ref: string): Promise<void> {}

/** Undefined: no spool here, so faststart on a stream is refused by the muxer with a clear message. */
export const openSpool: (() => Promise<Sink>) | undefined = undefined;

// eslint-disable-next-line require-yield
export async function* fileChunks(path: string, what: string): AsyncGenerator<Uint8Array> {
  throw noFiles(what, path);
}

/** Refused: a browser has no file descriptors; readRawFrames takes a ReadableStream here. */
// eslint-disable-next-line require-yield
export async function* fdFrames(fd: number, _frameSize: number, _signal?: AbortSignal): AsyncGenerator<Uint8Array, RawFramesRead, undefined> {
  throw new Mp4ForgeError(
    'UNSUPPORTED_RUNTIME',
    `readRawFrames: file descriptor ${fd} given, but this runtime has no file descriptors; pass a ReadableStream or an async iterable of Uint8Array chunks`,
  );
}
