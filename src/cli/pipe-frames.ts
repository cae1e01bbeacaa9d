// Raw frames from a pipe or socket file descriptor (the CLI's stdin), read by libuv straight into
// frame buffers: net.Socket's `onread` hands each read(2) the unfilled rest of the current frame,
// so no chunk is allocated and no byte is copied in JavaScript. Through a stream, every 64 KiB
// pipe read became a Buffer pushed through the stream machinery and then copied into a frame;
// for a 1280×720 RGBA frame (57 reads) that cost about 1.3 ms more CPU (DEVELOPERS.md, "The CLI's
// stdin").
import { fstatSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { FramesRead } from './frame-reader.js';

/** True when `fd` is a pipe or a socket: what readPipeFrames reads (a file or a terminal is not). */
export function isPipe(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/**
 * Yields each whole frame of `frameSize` bytes read from the pipe `fd`, in order, like
 * readFrames (frame-reader.ts): a yielded frame is valid until the consumer asks for the next one,
 * and nothing more is read meanwhile beyond the following frame. Returns what was read; `leftover`
 * counts the bytes of a frame the input ended inside of.
 *
 * Two buffers take turns: while the consumer holds one, the pipe is read into the other, and reading
 * stops when that one is full. `signal` aborting destroys the socket: the pending next() rejects.
 * Returning early (or throwing) destroys it too, which closes `fd`.
 */
export async function* readPipeFrames(fd: number, frameSize: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, FramesRead, undefined> {
  const buffers = [new Uint8Array(frameSize), new Uint8Array(frameSize)];
  let filling = 0; // the buffer being read into
  let fill = 0; // its bytes so far
  let full = -1; // a buffer holding a whole frame not yet yielded, or -1
  // Set by the socket's events; an object, so that the loop below sees the callbacks' writes.
  const input: { ended: boolean; failure: Error | null } = { ended: false, failure: null };
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let bytes = 0;
  const options: SocketConstructorOpts & { onread: OnRead } = {
    fd,
    readable: true,
    writable: false,
    allowHalfOpen: true,
    onread: {
      // The rest of the frame being filled; never empty: a full frame switches buffers first.
      buffer: () => buffers[filling].subarray(fill),
      callback: (n: number) => {
        fill += n;
        bytes += n;
        if (fill < frameSize) return true;
        full = filling;
        filling ^= 1;
        fill = 0;
        notify();
        return false; // stop reading until the consumer takes this frame
      },
    },
  };
  const socket = new Socket(options);
  const onEnd = () => {
    input.ended = true;
    notify();
  };
  const onError = (err: Error) => {
    input.failure ??= err;
    notify();
  };
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  const onAbort = () => socket.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let frames = 0;
  try {
    socket.resume();
    for (;;) {
      while (full < 0 && !input.ended && !input.failure) await new Promise<void>((resolve) => (wake = resolve));
      if (input.failure) throw input.failure;
      if (full < 0) break; // ended, and no whole frame is waiting
      const frame = buffers[full];
      full = -1;
      // Read on into the other buffer while the consumer holds this one.
      if (!input.ended) socket.resume();
      frames++;
      yield frame;
    }
    return { frames, bytes, leftover: fill };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.destroy();
  }
}

/** net.Socket's `onread` option (Node ≥ 12.1), which this @types/node does not declare. */
interface OnRead {
  buffer: () => Uint8Array;
  callback: (bytesRead: number, buffer: Uint8Array) => boolean;
}
