// A part on its way to an object store: a local file written once, through a Node Writable (what
// renderSegment's `output` takes), hashed as it is written, then read back once for the upload.
// Its name is removed as soon as it is open where the system allows it (POSIX; Windows too, since
// libuv opens files with FILE_SHARE_DELETE): the open file lives on until it is closed, so a worker
// killed mid-part leaves nothing behind on its disk either.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';

export class Spool {
  /** Where the part is written; ended by the writer when the part is complete. */
  readonly stream: Writable;
  private written = 0;
  private readonly hash = createHash('sha256');
  private digest: string | undefined;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly file: FileHandle,
    /** The file's name when it could not be removed while open, to remove on close. */
    private readonly keptPath: string | null,
  ) {
    this.stream = new Writable({
      // The writer awaits each write (backpressure), so one chunk at a time is ever in memory here.
      write: (chunk: Buffer, _encoding, done) => {
        this.append(chunk).then(() => done(), done);
      },
    });
  }

  /** A new spool file in `dir`. */
  static async open(dir: string): Promise<Spool> {
    const path = join(dir, `mp4forge-part-${process.pid}-${randomBytes(6).toString('hex')}.spool`);
    const file = await open(path, 'wx+');
    const removed = await unlink(path).then(
      () => true,
      () => false,
    );
    return new Spool(file, removed ? null : path);
  }

  /** True once the writer has ended the stream and every byte is in the file. */
  get complete(): boolean {
    return this.stream.writableFinished;
  }

  /** The number of bytes written. */
  get bytes(): number {
    return this.written;
  }

  /** The SHA-256 of the bytes written, base64 (S3's `x-amz-checksum-sha256`); only once complete. */
  sha256(): string {
    if (!this.complete) throw new Error('internal: the checksum of a spool still being written');
    this.digest ??= this.hash.digest('base64');
    return this.digest;
  }

  /** The bytes written, from the first, as a stream that leaves the file open. */
  read(): Readable {
    return this.file.createReadStream({ start: 0, end: this.written - 1, autoClose: false });
  }

  /** Closes (and so frees) the file; the stream is destroyed if it was not ended. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (!this.stream.writableFinished) {
        // The writer's own error handling may still be attached; never turn this into an 'error' event.
        this.stream.on('error', () => undefined);
        this.stream.destroy();
      }
      // Waits for a write still in flight.
      await this.file.close();
      if (this.keptPath) await rm(this.keptPath, { force: true });
    })();
    return this.closed;
  }

  private async append(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    for (let done = 0; done < chunk.length; ) {
      const { bytesWritten } = await this.file.write(chunk, done, chunk.length - done, this.written + done);
      done += bytesWritten;
    }
    this.written += chunk.length;
  }
}
