// Raw frames from a pipe or socket (readRawFrames given a descriptor, as the CLI gives it stdin),
// read on a thread of its own into a ring of two frames in shared memory, so that reading the next
// frame overlaps encoding this one.
//
// Why a thread: a pipe holds 64 KiB, so a 1280×720 RGBA frame is 57 reads, each waiting for the
// producer to refill the pipe. Read between frames on the encoding thread, that wait added to every
// frame, and each wake-up of an idle core cost more CPU than the copy it served (DEVELOPERS.md,
// "Raw frames from a pipe": 720p testsrc2 through `cat` went from 80 to about 190 frames per second).
//
// Why not a blocking read(2) on that thread: a thread blocked in a system call cannot be stopped,
// and Node waits for its threads when the process exits, so Ctrl-C would hang on a quiet producer.
// The thread reads with libuv (net.Socket's `onread`, straight into the ring: no chunk is
// allocated, no byte copied in JavaScript), and terminating it interrupts its event loop.
import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RawFramesRead } from '../cut-frames.js';

/** Frames in the ring: the one the consumer holds and the one being read. More measured no faster. */
const SLOTS = 2;

/**
 * The reader thread. It imports nothing of mp4forge, so it runs from this string (`eval`) and needs
 * no file of its own beside the bundle (nor TypeScript hooks under the tests). It imports with
 * `import()`, which works whether the string runs as a script or as a module: a worker inherits
 * the process's flags, and under `--input-type=module` an eval'd worker is a module.
 *
 * Messages: the thread posts the count of whole frames read after each one, then `{ end: bytes
 * of an unfinished frame }` or `{ error: { message, code } }`; the main thread posts the count of
 * frames it has released. The thread reads into slot `produced % SLOTS` only while fewer than
 * SLOTS frames are unreleased, so it never writes into the frame the consumer holds. Terminating
 * the thread closes its socket, and with it `fd`, before terminate() resolves.
 */
const READER = `
Promise.all([import('node:net'), import('node:worker_threads')]).then(([{ Socket }, { parentPort, workerData }]) => {
const { fd, ring, frameSize, slots } = workerData;
let produced = 0, released = 0, fill = 0, paused = false;
let slot = new Uint8Array(ring, 0, frameSize);
const socket = new Socket({
  fd, readable: true, writable: false, allowHalfOpen: true,
  onread: {
    buffer: () => slot.subarray(fill),
    callback: (n) => {
      fill += n;
      if (fill < frameSize) return true;
      fill = 0;
      produced++;
      parentPort.postMessage(produced);
      slot = new Uint8Array(ring, (produced % slots) * frameSize, frameSize);
      if (produced - released < slots) return true;
      paused = true;
      return false;
    },
  },
});
parentPort.on('message', (n) => {
  released = n;
  if (paused && produced - released < slots) {
    paused = false;
    socket.resume();
  }
});
socket.on('end', () => {
  parentPort.postMessage({ end: fill });
  socket.destroy();
});
socket.on('error', (err) => parentPort.postMessage({ error: { message: err.message, code: err.code } }));
socket.resume();
});
`;

/** True when `fd` is a pipe or a socket: what readPipeFrames reads (a file or a terminal is not). */
export function isPipe(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

type FromReader = number | { end: number } | { error: { message: string; code?: string } };

/**
 * Yields each whole frame of `frameSize` bytes read from the pipe `fd`, in order, like cutFrames
 * (cut-frames.ts): a yielded frame is valid until the consumer asks for the next one, and at most
 * one more frame is read meanwhile. Returns what was read; `leftover` counts the bytes of a frame
 * the input ended inside of.
 *
 * `signal` aborting rejects a pending next() with its reason. Returning early, throwing or aborting
 * stops the reader thread; its socket closes `fd`.
 */
export async function* readPipeFrames(fd: number, frameSize: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, RawFramesRead, undefined> {
  const ring = new SharedArrayBuffer(frameSize * SLOTS);
  // Written by the handlers, read by the loop below: fields of an object, which TypeScript does not
  // narrow across the loop's awaits as it would a local variable.
  const input: { produced: number; leftover: number | null; failure: Error | null; aborted: boolean } = {
    produced: 0,
    leftover: null,
    failure: null,
    aborted: false,
  };
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let stopping = false;
  const worker = new Worker(READER, { eval: true, workerData: { fd, ring, frameSize, slots: SLOTS } });
  worker.on('message', (m: FromReader) => {
    if (typeof m === 'number') input.produced = m;
    else if ('end' in m) input.leftover = m.end;
    else input.failure ??= Object.assign(new Error(`reading the input failed: ${m.error.message}`), { code: m.error.code });
    notify();
  });
  worker.on('error', (err) => {
    input.failure ??= err;
    notify();
  });
  worker.on('exit', (code) => {
    if (!stopping && input.leftover === null) input.failure ??= new Error(`the input's reader thread exited unexpectedly (code ${code})`);
    notify();
  });
  const onAbort = () => {
    input.aborted = true;
    notify();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let released = 0;
  try {
    for (;;) {
      // The thread keeps the process alive only while a read is awaited, as a stream being read
      // does: a consumer that holds a frame and never asks again must not stop the process exiting.
      worker.ref();
      while (input.produced === released && input.leftover === null && !input.failure && !input.aborted) await new Promise<void>((resolve) => (wake = resolve));
      worker.unref();
      if (input.aborted) throw signal?.reason; // as the stream path does: the signal's reason, whatever it is
      if (input.failure) throw input.failure;
      if (input.produced === released) break; // the input ended, and every whole frame was yielded
      yield new Uint8Array(ring, (released % SLOTS) * frameSize, frameSize);
      released++;
      worker.postMessage(released);
    }
    const leftover = input.leftover ?? 0;
    return { frames: released, bytes: released * frameSize + leftover, leftover };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopping = true;
    await worker.terminate();
  }
}
