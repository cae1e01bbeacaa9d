// File outputs that never destroy anything (Node only; reached through io.ts): the MP4 is written
// to a temporary file beside the target and renamed over it only when the file is complete, so a
// failed, aborted or killed run leaves the old file as it was. Also: the refusal of an output that
// is one of the run's inputs, and the refusal of a second live writer to the same file.
import { randomBytes } from 'node:crypto';
import { createWriteStream, unlinkSync } from 'node:fs';
import { chmod, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mp4ForgeError } from '../errors.js';
import { FileSink, NodeWritableSink } from '../mux/node-sinks.js';
import { sinkFailed, type Sink } from '../mux/sink.js';
import type { RunInput } from './io.js';

/** Temporary files of this process that a forced exit must remove (see removeTempFilesSync). */
const liveTemps = new Set<string>();
/** Real paths of the files being written in this process: one writer per file. */
const liveTargets = new Set<string>();

/** The longest file name (in bytes of UTF-8) most file systems take: ext4, XFS, Btrfs, tmpfs, APFS, NTFS (in UTF-16 units). */
const NAME_MAX = 255;

/**
 * The temporary name of `name` in its directory: hidden, and named after mp4forge and the process.
 * A target name too long to take the additions is shortened in it, so that any name the file system
 * takes can be written.
 */
export function tempNameFor(name: string): string {
  const suffix = `.mp4forge-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  return `.${truncateUtf8(name, NAME_MAX - 1 - suffix.length)}${suffix}`;
}

/** `text` cut to at most `max` bytes of UTF-8, between characters. */
function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

const onExit = (): void => void removeTempFilesSync();

/**
 * Registers a temporary file for removeTempFilesSync; returns the function that forgets it. A
 * process that exits with a writer still open (never finished nor aborted, or `process.exit()`
 * mid-run) removes its temporary files on the way out. The exit listener lives only while some
 * temporary file does, so a long-lived process that writes many files keeps none behind.
 */
export function trackTemp(path: string): () => void {
  if (liveTemps.size === 0) process.on('exit', onExit);
  liveTemps.add(path);
  return () => {
    if (liveTemps.delete(path) && liveTemps.size === 0) process.off('exit', onExit);
  };
}

/**
 * Removes, synchronously, every temporary file this process is still writing: for an exit that
 * cannot wait for the normal cleanup (a second or third Ctrl-C). Returns the paths removed.
 */
export function removeTempFilesSync(): string[] {
  const removed: string[] = [];
  for (const p of liveTemps) {
    try {
      unlinkSync(p);
      removed.push(p);
    } catch {
      // already gone
    }
  }
  liveTemps.clear();
  process.off('exit', onExit);
  return removed;
}

interface Target {
  /** The path the file will have: the real path (symlinks followed), so a link is written through. */
  path: string;
  /** The mode of the file it replaces (kept), or null when there is none. */
  mode: number | null;
  /** Not a regular file (a device, a FIFO): written directly, as a stream. */
  special: boolean;
}

async function resolveTarget(path: string): Promise<Target> {
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      if (st.isDirectory()) throw new Mp4ForgeError('SINK_FAILED', `Writing the output failed: ${path} is a directory; expected a file path`);
      return { path, mode: null, special: true };
    }
    return { path: await realpath(path), mode: st.mode & 0o7777, special: false };
  } catch (err) {
    if (err instanceof Mp4ForgeError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(path, err);
  }
  const dir = dirname(resolve(path));
  let realDir: string;
  try {
    realDir = await realpath(dir);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const why = missing ? `the directory ${dir} does not exist` : message(err);
    throw new Mp4ForgeError('SINK_FAILED', `Writing the output failed: cannot create ${path}: ${why}`, { cause: err });
  }
  return { path: join(realDir, basename(path)), mode: null, special: false };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function cannotWrite(path: string, err: unknown): Mp4ForgeError {
  return new Mp4ForgeError('SINK_FAILED', `Writing the output failed: cannot write ${path}: ${message(err)}`, { cause: err });
}

/**
 * Opens `path` for writing. A regular file (or a new one) is written as a temporary file in the
 * same directory, renamed over `path` by close(); abort() removes it and leaves `path` as it was,
 * except that a playable partial file (complete fragments) is kept when there was no file there.
 * A device or FIFO (`/dev/null`, `/dev/stdout`) is written directly, as a stream.
 */
export async function openFileOutput(path: string): Promise<Sink> {
  const target = await resolveTarget(path);
  if (target.special) return new NodeWritableSink(createWriteStream(path, { flags: 'w' }));
  if (liveTargets.has(target.path)) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `output ${path} is already being written by another writer of this process; wait for it to finish, or choose another path`,
      { details: { option: 'output' } },
    );
  }
  liveTargets.add(target.path); // at once, with no await since the check: two writers opened together cannot both pass
  const temp = join(dirname(target.path), tempNameFor(basename(target.path)));
  let file: FileSink;
  try {
    file = await FileSink.open(temp, 'wx+');
    if (target.mode !== null) await chmod(temp, target.mode).catch(() => undefined);
  } catch (err) {
    liveTargets.delete(target.path);
    throw cannotWrite(path, (err as Mp4ForgeError).cause ?? err);
  }
  return new AtomicFileSink(file, temp, target.path, trackTemp(temp));
}

/** A temporary file renamed over its target when complete. */
class AtomicFileSink implements Sink {
  private settled = false;

  constructor(
    private readonly file: FileSink,
    private readonly temp: string,
    private readonly target: string,
    private readonly forget: () => void,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    return this.file.write(bytes);
  }

  writeAt(bytes: Uint8Array, position: number): Promise<void> {
    return this.file.writeAt(bytes, position);
  }

  settle(): Promise<void> {
    return this.file.settle();
  }

  readAt(into: Uint8Array, position: number): Promise<number> {
    return this.file.readAt(into, position);
  }

  /** Flushes the file to disk, renames it over the target, then flushes the directory entry. */
  async close(): Promise<void> {
    try {
      await this.file.sync();
      await this.file.close();
      await rename(this.temp, this.target);
    } catch (err) {
      await this.release(true);
      throw sinkFailed(err);
    }
    await this.release(false);
    await syncDirectory(dirname(this.target));
  }

  async abort(reason: unknown, incomplete: boolean, completeBytes?: number): Promise<void> {
    await this.file.abort(reason, false, incomplete ? undefined : completeBytes);
    let kept = false;
    // A playable partial file (complete fragments) is kept, but never over an existing file.
    if (!incomplete && !(await exists(this.target))) kept = await rename(this.temp, this.target).then(() => true, () => false);
    await this.release(!kept);
  }

  private async release(removeTemp: boolean): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    if (removeTemp) await unlink(this.temp).catch(() => undefined);
    this.forget();
    liveTargets.delete(this.target);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** fsync of a directory, so the rename itself survives a crash; not possible everywhere (Windows), so best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not supported here
  }
}

/**
 * Refuses an output path that is the same file as one of `inputs` (same device and inode: hard and
 * symbolic links count), before anything is read or written.
 */
export async function refuseOutputOverInputs(output: string, inputs: readonly RunInput[]): Promise<void> {
  const out = await stat(output).catch(() => null);
  if (!out) return;
  for (const input of inputs) {
    let path: string;
    try {
      path = typeof input.path === 'string' && !input.path.startsWith('file:') ? input.path : fileURLToPath(input.path);
    } catch {
      continue; // not a file URL (data:, https:, a bare specifier): nothing on disk to overwrite
    }
    const st = await stat(path).catch(() => null);
    if (st && st.dev === out.dev && st.ino === out.ino) {
      throw new Mp4ForgeError(
        'INVALID_OPTION',
        `output ${output} is the same file as the ${input.what} (${path}): writing it would destroy the input; choose another output path`,
        { details: { option: 'output', input: input.what } },
      );
    }
  }
}
