// Output sinks. The muxer only appends, except on seekable sinks where it may patch or move data
// to put the moov first.
import { Mp4ForgeError } from '../errors.js';

/**
 * Where mp4forge writes bytes. Implement this to send output anywhere (a socket, a hash, S3 parts).
 * `write` must resolve only when the sink can take more: that is the backpressure signal.
 */
export interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  /** Seekable sinks: overwrite or extend at an absolute position. */
  writeAt?(bytes: Uint8Array, position: number): Promise<void>;
  /** Seekable sinks: read back what was written (used to move data when moov goes first). */
  readAt?(into: Uint8Array, position: number): Promise<number>;
  /** Flushes and closes. Called once, after the last write. */
  close(): Promise<void>;
  /**
   * Stops after a failure or abort. `incomplete` is true when what was written is not a playable
   * file (a faststart/progressive file without its moov): a file sink deletes it. Otherwise
   * `completeBytes`, when given, is the length of the playable part (the complete fragments of a
   * fragmented file): a seekable sink may cut off what follows it (a fragment the abort cut short).
   */
  abort(reason: unknown, incomplete: boolean, completeBytes?: number): Promise<void>;
  /**
   * Sinks that write behind their caller (a file): resolves once every byte written so far is in
   * the output, and rejects if some of it failed. A fragmented file counts a fragment as complete,
   * the part an abort keeps, only after this.
   */
  settle?(): Promise<void>;
}

export function isSeekable(s: Sink): s is Sink & Required<Pick<Sink, 'writeAt' | 'readAt'>> {
  return typeof s.writeAt === 'function' && typeof s.readAt === 'function';
}

/** Collects everything in memory; `data()` returns the file. */
export class MemorySink implements Sink {
  private buf = new Uint8Array(1 << 16);
  private length = 0;
  private aborted = false;

  async write(bytes: Uint8Array): Promise<void> {
    this.put(bytes, this.length);
  }

  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    this.put(bytes, position);
  }

  async readAt(into: Uint8Array, position: number): Promise<number> {
    const n = Math.max(0, Math.min(into.length, this.length - position));
    into.set(this.buf.subarray(position, position + n));
    return n;
  }

  async close(): Promise<void> {}

  async abort(): Promise<void> {
    this.aborted = true;
    this.buf = new Uint8Array(0);
    this.length = 0;
  }

  data(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private put(bytes: Uint8Array, position: number): void {
    // As a file sink does. A write can still come after abort() (a frame coded before the abort
    // reaching the muxer), and growing the emptied buffer by doubling its zero length never ended.
    if (this.aborted) throw sinkFailed(new Error('the output was aborted'));
    const end = position + bytes.length;
    if (end > this.buf.length) {
      let cap = this.buf.length;
      while (cap < end) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(bytes, position);
    if (end > this.length) this.length = end;
  }
}

/** Adapts a WHATWG WritableStream<Uint8Array>, awaiting `ready` for backpressure. */
export class WebStreamSink implements Sink {
  private writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(stream: WritableStream<Uint8Array>) {
    this.writer = stream.getWriter();
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      await this.writer.ready;
      // The stream may keep the chunk; hand it a copy it can own.
      await this.writer.write(bytes.slice());
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  async close(): Promise<void> {
    try {
      await this.writer.close();
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  async abort(reason: unknown): Promise<void> {
    try {
      await this.writer.abort(reason);
    } catch {
      // already errored
    }
  }
}

export function sinkFailed(err: unknown): Mp4ForgeError {
  if (err instanceof Mp4ForgeError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new Mp4ForgeError('SINK_FAILED', `Writing the output failed: ${msg}`, { cause: err });
}
