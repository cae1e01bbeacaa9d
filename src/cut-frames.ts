// Cuts a byte stream into raw video frames of a fixed size, the way `ffmpeg -f rawvideo` reads
// its input: chunks arrive in any size, frames are exact. The stream half of readRawFrames
// (raw-frames.ts); a pipe on Node is read by platform/pipe-frames.ts instead.

/** What readRawFrames read. */
export interface RawFramesRead {
  /** Whole frames yielded. */
  frames: number;
  /** Bytes read in all. */
  bytes: number;
  /** Bytes after the last whole frame: the input ended inside a frame when this is not 0. */
  leftover: number;
}

/**
 * Yields each whole frame of `frameSize` bytes from `chunks`, in order.
 *
 * A frame that lies inside one chunk is yielded as a view of that chunk (no copy); a frame that
 * straddles chunks is assembled in one reused buffer. So a yielded frame is valid only until the
 * consumer asks for the next one — which is also how backpressure works: the source is not read
 * further while the consumer awaits (Node streams stop reading at their highWaterMark).
 *
 * `signal` aborting rejects a pending read with its reason. On any exit the source's iterator is
 * closed (`return()`, which destroys a Node stream; after an abort, a Node stream is destroyed
 * without waiting for its pending read).
 */
export async function* cutFrames(
  chunks: AsyncIterable<Uint8Array>,
  frameSize: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, RawFramesRead, undefined> {
  const it = chunks[Symbol.asyncIterator]();
  let onAbort: (() => void) | null = null;
  const aborted = signal
    ? new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      })
    : null;
  aborted?.catch(() => {}); // rejected only for the race below
  let pending: Promise<unknown> | null = null; // a next() not settled yet (left behind by an abort)
  let partial: Uint8Array | null = null;
  let filled = 0;
  let frames = 0;
  let bytes = 0;
  try {
    for (;;) {
      const next = it.next();
      pending = next;
      const settled = () => {
        if (pending === next) pending = null;
      };
      next.then(settled, settled); // also keeps a rejection left behind by an abort from going unhandled
      const r = await (aborted ? Promise.race([next, aborted]) : next);
      if (r.done) break;
      const chunk = r.value;
      bytes += chunk.length;
      let off = 0;
      if (filled > 0) {
        const take = Math.min(frameSize - filled, chunk.length);
        (partial as Uint8Array).set(chunk.subarray(0, take), filled);
        filled += take;
        off = take;
        if (filled < frameSize) continue;
        filled = 0;
        frames++;
        yield partial as Uint8Array;
      }
      while (chunk.length - off >= frameSize) {
        frames++;
        yield chunk.subarray(off, off + frameSize);
        off += frameSize;
      }
      if (off < chunk.length) {
        partial ??= new Uint8Array(frameSize);
        partial.set(chunk.subarray(off), 0);
        filled = chunk.length - off;
      }
    }
    return { frames, bytes, leftover: filled };
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (pending) {
      // return() would queue behind the pending next(), which may wait for a producer that went
      // quiet: destroy a Node stream at once (its next() then settles), and do not wait.
      (chunks as { destroy?: () => void }).destroy?.();
      it.return?.().catch(() => {});
    } else {
      await it.return?.();
    }
  }
}
