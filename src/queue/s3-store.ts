// The S3 segment store: parts as objects in a bucket of AWS S3 or an S3-compatible server, through
// @aws-sdk/client-s3 — an optional peer dependency, imported on first use so that mp4forge/queue
// loads without it.
//
// A part is either whole in the bucket or absent: it renders into a local spool file (spool.ts:
// nameless while open, hashed as written) and commit() uploads it with one PutObject streamed from
// that file, with its length and SHA-256. S3 makes an object visible only when its upload has
// completed (and the checksum matched), so a worker killed while rendering or uploading leaves
// nothing in the bucket, and nothing on its disk. Memory stays bounded both ways: the upload
// streams from the file, and the stitch reads a part back in ranges (a small first one for the
// header, then RANGE_BYTES at a time).
import type * as S3 from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { refuseUnknownKeys } from './connection.js';
import { Mp4ForgeError } from './core.js';
import { Spool } from './spool.js';
import { checkJobId, partName, type PartWriter, type SegmentStore } from './store.js';

/**
 * The one method of an `S3Client` (from `@aws-sdk/client-s3`) the store calls. Structural, so that
 * the types of mp4forge/queue do not need the SDK installed; any `S3Client` fits.
 */
export interface S3ClientLike {
  send(command: object): Promise<unknown>;
}

export interface S3StoreOptions {
  /**
   * `new S3Client({ … })` of `@aws-sdk/client-s3`, made by you: its region, credentials, `endpoint`
   * and `forcePathStyle` (for S3-compatible servers) decide where the parts go. Every worker of a
   * queue must reach the same bucket.
   */
  client: S3ClientLike;
  /** The bucket (it must exist). */
  bucket: string;
  /** A key prefix, as a folder: parts are `PREFIX/ID/part-K-of-N.m4s`. Default none (`ID/part-K-of-N.m4s`). */
  prefix?: string;
  /**
   * Where a part is spooled while it renders, before its upload: a directory on a disk with room
   * for the largest part (not a RAM-backed tmpfs, for large parts). Default `os.tmpdir()`.
   */
  tempDir?: string;
}

/** Sizes of requests; the tests make them small to exercise pagination and ranged reads. */
export interface S3StoreTuning {
  /** Keys per ListObjectsV2 page (and so per DeleteObjects request, whose limit is 1000). */
  pageSize: number;
  /** The first range read of a part: enough for its header, which the stitch reads of every part first. */
  firstRangeBytes: number;
  /** Every later range. */
  rangeBytes: number;
}

const TUNING: S3StoreTuning = { pageSize: 1000, firstRangeBytes: 64 << 10, rangeBytes: 8 << 20 };

/** S3's limit for one PutObject: 5 GiB. */
const MAX_PUT_BYTES = 5 * 2 ** 30;

/**
 * A segment store in an S3 bucket (AWS S3, or an S3-compatible server through the client's
 * `endpoint`): part `k` of `n` of job `id` is the object `PREFIX/id/part-k-of-n.m4s`. A part is
 * rendered into a local temporary file and uploaded by `commit()` in one PutObject with its
 * SHA-256, so it appears whole or not at all; a killed worker leaves nothing. A part is never held
 * in memory whole: it streams from that file to S3, and back to the stitch in ranges of 8 MiB.
 * Needs the optional peer dependency `@aws-sdk/client-s3` (imported on first use;
 * QUEUE_UNAVAILABLE without it).
 *
 * Failed S3 requests reject with QUEUE_UNAVAILABLE naming the operation, the key and S3's error; a
 * part larger than one PutObject takes (5 GiB) with INVALID_OPTION (use more segments).
 *
 * @example
 * import { S3Client } from '@aws-sdk/client-s3';
 * const store = s3Store({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'renders', prefix: 'parts' });
 */
export function s3Store(options: S3StoreOptions): SegmentStore {
  return createS3Store(options, TUNING);
}

/** {@link s3Store} with other request sizes (for tests). */
export function createS3Store(options: S3StoreOptions, tuning: S3StoreTuning): SegmentStore {
  if (!options || typeof options !== 'object') throw invalid('s3Store needs options { client, bucket, prefix?, tempDir? }');
  refuseUnknownKeys(options, '', ['client', 'bucket', 'prefix', 'tempDir']);
  const { client, bucket } = options;
  if (!client || typeof client.send !== 'function') throw invalid('s3Store needs client: an S3Client of @aws-sdk/client-s3 (new S3Client({ … }))');
  if (typeof bucket !== 'string' || bucket === '') throw invalid(`s3Store needs bucket: a bucket name, got ${JSON.stringify(bucket)}`);
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw invalid(`prefix must be a string, got ${JSON.stringify(options.prefix)}`);
  if (options.tempDir !== undefined && (typeof options.tempDir !== 'string' || options.tempDir === '')) {
    throw invalid(`tempDir must be a directory path, got ${JSON.stringify(options.tempDir)}`);
  }
  const trimmed = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const root = trimmed === '' ? '' : `${trimmed}/`;
  const where = `s3://${bucket}/${root}`;
  // The trailing '/' matters: job ids never contain one, so job a's listing never reaches job ab's keys.
  const jobPrefix = (id: string) => `${root}${checkJobId(id)}/`;
  const partKey = (id: string, k: number, n: number) => `${jobPrefix(id)}${partName(k, n)}`;
  const send = <T>(command: object) => client.send(command) as Promise<T>;

  /** Runs one S3 request; its failure becomes QUEUE_UNAVAILABLE naming the request, the key and S3's words. */
  const request = async <T>(operation: string, key: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw failed(where, operation, key, err);
    }
  };

  /** HeadObject: the object's size, or null when there is none. */
  const head = async (key: string): Promise<number | null> => {
    const { HeadObjectCommand } = await loadS3Sdk();
    try {
      const r = await send<S3.HeadObjectCommandOutput>(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return r.ContentLength ?? 0;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw failed(where, 'HeadObject', key, err);
    }
  };

  /** The object in ranges, each read whole before it is handed on: no response waits on the stitch. */
  async function* ranges(key: string, size: number): AsyncGenerator<Uint8Array> {
    const { GetObjectCommand } = await loadS3Sdk();
    let at = 0;
    let span = tuning.firstRangeBytes;
    while (at < size) {
      const last = Math.min(size, at + span) - 1;
      const bytes = await request('GetObject', key, async () => {
        const r = await send<S3.GetObjectCommandOutput>(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${at}-${last}` }));
        const got = r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
        if (got.length !== last - at + 1) throw new Error(`${got.length} bytes came back for bytes ${at}–${last} (the object changed while it was read?)`);
        return got;
      });
      yield bytes;
      at = last + 1;
      span = tuning.rangeBytes;
    }
  }

  return {
    description: where,

    async create(id, k, n): Promise<PartWriter> {
      const key = partKey(id, k, n);
      await loadS3Sdk(); // a missing SDK fails the job now, not after the part has rendered
      const spool = await Spool.open(options.tempDir ?? tmpdir());
      let state: 'open' | 'done' = 'open';
      return {
        output: spool.stream,
        async commit() {
          if (state !== 'open') throw new Error(`internal: part ${k} of ${n} of job ${id} was already committed or discarded`);
          if (!spool.complete) {
            throw new Mp4ForgeError('INVALID_OPTION', `part ${k} of ${n} of job ${id} cannot be committed before its output is ended (complete)`);
          }
          state = 'done';
          try {
            if (spool.bytes > MAX_PUT_BYTES) {
              const gib = (spool.bytes / 2 ** 30).toFixed(2);
              throw invalid(`part ${k} of ${n} of job ${id} is ${gib} GiB; one S3 upload takes at most 5 GiB: split the render into more segments`);
            }
            const { PutObjectCommand } = await loadS3Sdk();
            const body = spool.bytes > 0 ? spool.read() : null;
            try {
              // A given checksum also keeps the SDK from sending the body aws-chunked (for a checksum
              // of its own), which some S3-compatible servers store as it comes, framing and all.
              const put = new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: body ?? new Uint8Array(0),
                ContentLength: spool.bytes,
                ChecksumSHA256: spool.sha256(),
                ContentType: 'video/iso.segment',
              });
              await request('PutObject', key, () => send(put));
            } finally {
              body?.destroy(); // a failed upload may leave it half read; the file closes next
            }
          } finally {
            await spool.close();
          }
        },
        async discard() {
          state = 'done';
          await spool.close();
        },
      };
    },

    async open(id, k, n) {
      const key = partKey(id, k, n);
      const size = await head(key);
      if (size === null) {
        throw new Mp4ForgeError('SEGMENT_GAP', `part ${k} of ${n} of job ${id} is missing from the store (s3://${bucket}/${key})`, {
          details: { segment: k, problem: 'missing' },
        });
      }
      return ranges(key, size);
    },

    has: async (id, k, n) => (await head(partKey(id, k, n))) !== null,

    async remove(id) {
      const prefix = jobPrefix(id);
      const { DeleteObjectsCommand, ListObjectsV2Command } = await loadS3Sdk();
      let token: string | undefined;
      do {
        const list = new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: tuning.pageSize, ...(token ? { ContinuationToken: token } : {}) });
        const page = await request('ListObjectsV2', prefix, () => send<S3.ListObjectsV2CommandOutput>(list));
        const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (objects.length > 0) {
          const del = new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } });
          const r = await request('DeleteObjects', prefix, () => send<S3.DeleteObjectsCommandOutput>(del));
          // DeleteObjects answers 200 and lists the keys it could not delete.
          const first = r.Errors?.[0];
          if (first) {
            const why = new Error(`${first.Code}: ${first.Message} (${r.Errors?.length} key(s) not deleted)`);
            throw failed(where, 'DeleteObjects', first.Key ?? prefix, why);
          }
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}

/**
 * An s3Store for `s3://BUCKET[/PREFIX]` with a client from the SDK's default configuration (the
 * CLI's `--store`): region, credentials and endpoint from AWS_REGION, AWS_ACCESS_KEY_ID… and
 * AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), or ~/.aws. With an endpoint of its own (an
 * S3-compatible server) the client addresses buckets by path, which such servers expect.
 */
export async function s3StoreFromUrl(url: string, env: Record<string, string | undefined>): Promise<{ store: SegmentStore; close(): void }> {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw invalid(`an S3 store is s3://BUCKET or s3://BUCKET/PREFIX, got ${JSON.stringify(url)}`);
  const { S3Client } = await loadS3Sdk();
  const client = new S3Client(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {});
  return { store: s3Store({ client, bucket: m[1], prefix: m[2] ?? '' }), close: () => client.destroy() };
}

let sdk: Promise<typeof S3> | undefined;

/**
 * Imports @aws-sdk/client-s3 once. Without it, QUEUE_UNAVAILABLE saying what to install (as the CLI
 * says for bullmq and ioredis); any other failure to load it is passed on as it is.
 */
export function loadS3Sdk(): Promise<typeof S3> {
  sdk ??= import('@aws-sdk/client-s3').catch((err: unknown) => {
    sdk = undefined;
    if (!/Cannot find (?:package|module) '@aws-sdk\/client-s3'/.test(err instanceof Error ? err.message : '')) throw err;
    const message = 's3Store needs the optional package @aws-sdk/client-s3, and it is not installed: npm install @aws-sdk/client-s3';
    throw new Mp4ForgeError('QUEUE_UNAVAILABLE', message, { cause: err });
  });
  return sdk;
}

/** The HTTP status of an SDK error, if it got that far. */
function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function failed(where: string, operation: string, key: string, err: unknown): Mp4ForgeError {
  const e = err as { name?: string; message?: string } | null;
  const why = `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`;
  const status = statusOf(err);
  return new Mp4ForgeError(
    'QUEUE_UNAVAILABLE',
    `the segment store ${where} failed: ${operation} ${key}${status ? ` (HTTP ${status})` : ''}: ${why}; ` +
      'expected an existing bucket that the S3Client can reach with its endpoint and credentials',
    { cause: err, details: { store: where, operation, key } },
  );
}

function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message);
}
