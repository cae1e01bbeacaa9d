// Segment stores: where segment jobs leave their parts for the stitch. The interface is small so
// that an object store fits it; the directory store (a shared disk, NFS) is here, the S3 store
// (@aws-sdk/client-s3, an optional peer) in s3-store.ts. Both name parts with the helpers below.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Mp4ForgeError, type NodeWritableLike } from './core.js';

/** A part being written: render into `output`, then `commit` (makes it visible, atomically) or `discard`. */
export interface PartWriter {
  /** A file path or a Node writable stream, as `renderSegment`'s `output` takes them. */
  readonly output: string | NodeWritableLike;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Where parts live between their segment job and the stitch. Parts are named by job id and
 * `k` of `n`; a part is either wholly there (committed) or absent, never half-written.
 */
export interface SegmentStore {
  /** For messages, e.g. `directory /mnt/parts`. */
  readonly description: string;
  /** Starts writing part `k` of `n` of job `id`. */
  create(id: string, k: number, n: number): Promise<PartWriter>;
  /** A committed part, for stitchSegments: a file path or a byte stream. */
  open(id: string, k: number, n: number): Promise<string | AsyncIterable<Uint8Array>>;
  /** True when part `k` of `n` of job `id` is committed. */
  has(id: string, k: number, n: number): Promise<boolean>;
  /** Removes everything of job `id`: committed parts and any left half-written by a killed worker. */
  remove(id: string): Promise<void>;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Returns `id` if it is a safe job id (letters, digits, '.', '_', '-', not starting with '.', '_' or
 * '-'), else throws INVALID_OPTION. Safe in a file name and an S3 key: no separator, never `.` or
 * `..`, and no id is another one followed by '/', so no job's parts sit under another job's prefix.
 */
export function checkJobId(id: string): string {
  if (typeof id !== 'string' || !SAFE_ID.test(id)) {
    throw new Mp4ForgeError('INVALID_OPTION', `a job id must be letters, digits, '.', '_' or '-', got ${JSON.stringify(id)}`);
  }
  return id;
}

/** The name of part `k` of `n` inside its job's directory or prefix. */
export function partName(k: number, n: number): string {
  return `part-${k}-of-${n}.m4s`;
}

/**
 * A segment store in a directory every worker can reach (a shared disk or NFS mount): part `k` of
 * `n` of job `id` is `DIR/id/part-k-of-n.m4s`. A part is written under a temporary name and renamed
 * when complete, so a worker killed mid-part leaves only a temporary file, which `remove` deletes
 * with the job's directory.
 *
 * @example
 * const store = directoryStore('/mnt/render-parts');
 */
export function directoryStore(dir: string): SegmentStore {
  if (typeof dir !== 'string' || dir === '') throw new Mp4ForgeError('INVALID_OPTION', `directoryStore needs a directory path, got ${JSON.stringify(dir)}`);
  const root = resolve(dir);
  const jobDir = (id: string) => join(root, checkJobId(id));
  const partPath = (id: string, k: number, n: number) => join(jobDir(id), partName(k, n));
  return {
    description: `directory ${root}`,
    async create(id, k, n) {
      const final = partPath(id, k, n);
      await mkdir(jobDir(id), { recursive: true });
      const temp = `${final}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
      return {
        output: temp,
        commit: () => rename(temp, final),
        discard: () => rm(temp, { force: true }),
      };
    },
    async open(id, k, n) {
      const path = partPath(id, k, n);
      if (!(await isFile(path))) {
        throw new Mp4ForgeError('SEGMENT_GAP', `part ${k} of ${n} of job ${id} is missing from the store (${path})`, {
          details: { segment: k, problem: 'missing' },
        });
      }
      return path;
    },
    // async: a refused id is a rejection, as from every other method.
    has: async (id, k, n) => isFile(partPath(id, k, n)),
    remove: async (id) => rm(jobDir(id), { recursive: true, force: true }),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

