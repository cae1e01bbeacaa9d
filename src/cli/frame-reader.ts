// Cuts a byte stream into raw video frames of a fixed size, the way `ffmpeg -f rawvideo` reads
// its input: chunks arrive in any size, frames are exact.
/**
 * Yields each whole frame of `frameSize` bytes from `chunks`, in order.
 *
 * A frame that lies inside one chunk is yielded as a view of that chunk (no copy); a frame that
 * straddles chunks is assembled in one reused buffer. So a yielded frame is valid only until the
 * consumer asks for the next one — which is also how backpressure works: the source is not read
 * further while the consumer awaits (Node streams stop reading at their highWaterMark).
 *
 * Returns what was read: whole frames, bytes, and `leftover`, the bytes at the end that did not
 * make a whole frame (not yielded; the caller decides what an input cut inside a frame means).
 */
export async function* readFrames(chunks: AsyncIterable<Uint8Array>, frameSize: number): AsyncGenerator<Uint8Array, FramesRead, undefined> {
  let partial: Uint8Array | null = null;
  let filled = 0;
  let frames = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
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
}

/** What readFrames read. */
export interface FramesRead {
  /** Whole frames yielded. */
  frames: number;
  /** Bytes read in all. */
  bytes: number;
  /** Bytes after the last whole frame: the input ended inside a frame when this is not 0. */
  leftover: number;
}
