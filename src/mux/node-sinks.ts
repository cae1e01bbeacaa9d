// Node-only sinks: files and stream.Writable. Kept apart so a browser build never sees `fs`.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Mp4ForgeError } from '../errors.js';
import { sinkFailed, type Sink } from './sink.js';

/** Appends a FileSink lets run behind its caller (see FileSink.write). */
const WRITES_BEHIND = 8;

/**
 * A file opened for writing, at its own path; seekable, so faststart moves data in place instead
 * of spooling. File outputs use it for their temporary file (src/platform/file-output.ts).
 */
export class FileSink implements Sink {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  /** `flags`: 'w+' (create or truncate) or 'wx+' (create; fails when the file exists). */
  static async open(path: string, flags: 'w+' | 'wx+' = 'w+'): Promise<FileSink> {
    try {
      return new FileSink(await open(path, flags), path);
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  private position = 0;

  /**
   * Appends still being written (write-behind), oldest first, and the first error one of them
   * met. An awaited write costs the encoding thread a round trip to libuv's thread pool per frame:
   * measured on 720p, one thread, RGBA in, that was 5% (bars) to 10% (plasma) more time adding
   * frames than into memory, against 1–3% with appends behind (the first of two runs; both in
   * DEVELOPERS.md, "The frame path").
   */
  private inFlight: Promise<void>[] = [];
  private failure: Mp4ForgeError | null = null;

  /**
   * Appends `bytes` (which the caller must not change afterwards, as for every sink). Resolves
   * once fewer than WRITES_BEHIND appends are in flight; an append that failed rejects this call
   * or a later one (a write, writeAt, readAt, sync or close), so no failure goes unreported.
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.aborted) throw sinkFailed(new Error('the output was aborted'));
    const op = this.put(bytes, this.position);
    this.position += bytes.length;
    op.catch((err: Mp4ForgeError) => {
      this.failure ??= err;
    });
    this.inFlight.push(op);
    if (this.inFlight.length >= WRITES_BEHIND) await this.inFlight.shift();
  }

  /** Waits for every append in flight; throws the first failure. */
  async settle(): Promise<void> {
    const ops = this.inFlight;
    this.inFlight = [];
    await Promise.allSettled(ops);
    if (this.failure) throw this.failure;
  }

  /** The last positioned write, settled or not: an abort waits for it, so nothing lands after the file is cut or closed. */
  private lastWrite: Promise<unknown> = Promise.resolve();

  private aborted = false;

  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    if (this.aborted) throw sinkFailed(new Error('the output was aborted'));
    await this.settle();
    const op = this.put(bytes, position);
    this.lastWrite = op.catch(() => undefined);
    return op;
  }

  private async put(bytes: Uint8Array, position: number): Promise<void> {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  async readAt(into: Uint8Array, position: number): Promise<number> {
    await this.settle();
    try {
      let done = 0;
      while (done < into.length) {
        const { bytesRead } = await this.fh.read(into, done, into.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  /** Flushes the file's data to the disk (fsync), after every append in flight. */
  async sync(): Promise<void> {
    await this.settle();
    try {
      await this.fh.sync();
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  async close(): Promise<void> {
    await this.settle();
    try {
      await this.fh.close();
    } catch (err) {
      throw sinkFailed(err);
    }
  }

  /** Closes; deletes the file when `incomplete`, else cuts it to `completeBytes` when given. */
  async abort(_reason: unknown, incomplete: boolean, completeBytes?: number): Promise<void> {
    this.aborted = true;
    await Promise.allSettled(this.inFlight);
    this.inFlight = [];
    await this.lastWrite;
    if (!incomplete && completeBytes !== undefined) await this.fh.truncate(completeBytes).catch(() => {});
    await this.fh.close().catch(() => {});
    if (incomplete) await unlink(this.path).catch(() => {});
  }
}

/** Adapts a Node stream.Writable: waits for 'drain' when `write` returns false. */
export class NodeWritableSink implements Sink {
  private error: Error | null = null;
  private readonly onError = (err: Error) => {
    this.error ??= err;
  };

  constructor(private readonly stream: Writable) {
    stream.on('error', this.onError);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.error) return Promise.reject(sinkFailed(this.error));
    if (this.stream.destroyed || this.stream.writableEnded) return Promise.reject(sinkFailed(new Error('the output stream was closed')));
    // The stream may hold on to the chunk after write() returns; give it its own copy.
    if (this.stream.write(bytes.slice())) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onErr);
        this.stream.off('close', onClose);
        if (err) reject(sinkFailed(err));
        else resolve();
      };
      const onDrain = () => settle();
      const onErr = (err: Error) => settle(err);
      const onClose = () => settle(this.error ?? new Error('the output stream closed while mp4forge was writing'));
      this.stream.on('drain', onDrain);
      this.stream.on('error', onErr);
      this.stream.on('close', onClose);
    });
  }

  close(): Promise<void> {
    if (this.error) return Promise.reject(sinkFailed(this.error));
    return new Promise((resolve, reject) => {
      this.stream.end((err?: Error | null) => {
        this.stream.off('error', this.onError);
        // An error that ends the stream reaches this callback before its 'error' event: keep a
        // listener for that event, or it becomes an uncaught exception (see abort()).
        if (err) this.stream.on('error', () => {});
        if (err || this.error) reject(sinkFailed(err ?? this.error));
        else resolve();
      });
    });
  }

  async abort(reason: unknown): Promise<void> {
    this.stream.off('error', this.onError);
    // Keep a listener so destroy(err) does not become an uncaught 'error' event.
    this.stream.on('error', () => {});
    this.stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  }
}

/**
 * A temporary file that holds media data until the moov can be written in front of it (faststart
 * on a stream). Its name is removed as soon as it is open, where the system allows it (POSIX): the
 * open file lives on until it is closed, and nothing is left behind even after a SIGKILL. Where
 * the name cannot be removed while open (some Windows file systems), it goes when the spool is aborted.
 */
export async function openTempFileSink(): Promise<FileSink> {
  const path = join(tmpdir(), `mp4forge-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.spool`);
  const sink = await FileSink.open(path, 'wx+');
  // The spool is only ever aborted (never closed), and abort() removes the name if it is still there.
  await unlink(path).catch(() => undefined);
  return sink;
}
