// s3Store (mp4forge/queue) against a real S3-compatible server — s3rver 3.7.1, in a child process —
// through the real @aws-sdk/client-s3, no mocks: the store's contract (a part is whole or absent,
// also when its worker is SIGKILLed; remove deletes everything of a job, page by page), its errors,
// the queue entry without the SDK installed, and whole renders through Redis (the README example
// examples/queue/s3.mjs, and `mp4forge queue worker|submit --store s3://…`), byte-identical to
// renderVideo with nothing left in the bucket.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderVideo } from '../src/index.js';
import { createS3Store, s3Store } from '../src/queue/s3-store.js';
import { directoryStore, type PartWriter, type SegmentStore } from '../src/queue/store.js';
import { cli, failWhileRendering, runProcess as run, WorkerProcess } from './helpers/queue-cli.js';
import { redisAvailable, requireRedis, startRedis, type RedisServer } from './helpers/redis.js';
import { QUIET_SDK, startS3, type S3Server } from './helpers/s3.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('mp4forge-s3-');
/** Where the stores under test spool their parts: checked to be empty at every step. */
const spoolDir = join(dir, 'spool');
let s3: S3Server;

beforeAll(async () => {
  mkdirSync(spoolDir); // tempDir makes `dir` in a beforeAll registered before this one
  s3 = await startS3(join(dir, 's3rver'));
});
afterAll(async () => {
  await s3?.stop();
});

/** A store with small requests: 2 keys a page, ranges of 1000 then 4096 bytes. */
function smallStore(prefix: string, client: S3Client = s3.client, bucket = s3.bucket): SegmentStore {
  return createS3Store({ client, bucket, prefix, tempDir: spoolDir }, { pageSize: 2, firstRangeBytes: 1000, rangeBytes: 4096 });
}

/** Writes `bytes` into a part's output in chunks of `chunk`, then ends it, as renderSegment does. */
async function fill(w: PartWriter, bytes: Uint8Array, chunk = 7000): Promise<void> {
  const out = w.output as Writable;
  for (let at = 0; at < bytes.length; at += chunk) {
    if (!out.write(bytes.subarray(at, at + chunk))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function read(source: string | AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; chunks: number[] }> {
  if (typeof source === 'string') throw new Error(`expected a byte stream, got the path ${source}`);
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(c);
  return { bytes: Buffer.concat(chunks), chunks: chunks.map((c) => c.length) };
}

/** A client of its own for `s3`, counting the requests it sends by command name, and keeping what each PutObject said of its body. */
function countingClient(): { client: S3Client; calls: Map<string, number>; puts: { Key?: string; ChecksumSHA256?: string }[] } {
  const client = new S3Client(s3.config);
  const calls = new Map<string, number>();
  const puts: { Key?: string; ChecksumSHA256?: string }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.set(context.commandName as string, (calls.get(context.commandName as string) ?? 0) + 1);
      const input = args.input as { Key?: string; ChecksumSHA256?: string };
      if (context.commandName === 'PutObjectCommand') puts.push({ Key: input.Key, ChecksumSHA256: input.ChecksumSHA256 });
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, calls, puts };
}

/** Files in the spool directory this process still holds open: a spool file has no name, but /proc/self/fd shows where it was. */
function openSpools(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(`${spoolDir}/`) ? [target] : [];
    } catch {
      return []; // the descriptor readdir itself used, closed since
    }
  });
}

describe('s3Store: the SegmentStore contract on s3rver', () => {
  it('create → output → commit: invisible until committed, then whole; read back byte for byte in ranges', async () => {
    const { client, puts } = countingClient();
    const store = smallStore('contract', client);
    expect(store.description).toBe(`s3://${s3.bucket}/contract/`);
    const bytes = randomBytes(50_000);
    const w = await store.create('job-1', 1, 2);
    // The spool file has no name from the start: nothing to leave behind.
    expect(readdirSync(spoolDir)).toEqual([]);
    await fill(w, bytes);

    // Written and ended, not committed: absent.
    expect(await store.has('job-1', 1, 2)).toBe(false);
    await expect(store.open('job-1', 1, 2)).rejects.toMatchObject({
      code: 'SEGMENT_GAP',
      message: `part 1 of 2 of job job-1 is missing from the store (s3://${s3.bucket}/contract/job-1/part-1-of-2.m4s)`,
    });
    expect(await s3.keys('contract/job-1/')).toEqual([]);

    await w.commit();
    expect(await s3.keys('contract/job-1/')).toEqual(['contract/job-1/part-1-of-2.m4s']);
    // The upload carries the SHA-256 of the bytes (S3 checks it; s3rver does not).
    expect(puts).toEqual([{ Key: 'contract/job-1/part-1-of-2.m4s', ChecksumSHA256: createHash('sha256').update(bytes).digest('base64') }]);
    expect(await store.has('job-1', 1, 2)).toBe(true);
    expect(await store.has('job-1', 2, 2)).toBe(false);
    const back = await read(await store.open('job-1', 1, 2));
    expect(back.bytes.equals(bytes)).toBe(true);
    // A small first range (the header), then full ranges: 1000 + 11 × 4096 + 3944.
    expect(back.chunks).toEqual([1000, ...Array<number>(11).fill(4096), 3944]);
    await w.discard(); // after commit: nothing to do
    expect(await store.has('job-1', 1, 2)).toBe(true);
    await expect(w.commit()).rejects.toThrow(/already committed or discarded/);
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(openSpools()).toEqual([]);
    await store.remove('job-1');
    expect(await s3.keys('contract/job-1/')).toEqual([]);
    client.destroy();
  });

  it('discard, and a commit before the output is ended, leave nothing', async () => {
    const store = smallStore('contract');
    const a = await store.create('job-2', 1, 1);
    await fill(a, randomBytes(10_000));
    await a.discard();
    await expect(a.commit()).rejects.toThrow(/already committed or discarded/);

    const b = await store.create('job-2', 1, 1);
    expect(openSpools()).toHaveLength(1);
    (b.output as Writable).write(randomBytes(5000));
    await expect(b.commit()).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: 'part 1 of 1 of job job-2 cannot be committed before its output is ended (complete)',
    });
    await b.discard();
    expect(await store.has('job-2', 1, 1)).toBe(false);
    expect(await s3.keys('contract/job-2/')).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
    // Discarded, the spool files are closed too: nothing is held open (and so nothing takes disk space).
    expect(openSpools()).toEqual([]);
  });

  it('a worker SIGKILLed while writing a part leaves nothing: not in the bucket, not on its disk', async () => {
    // The same sources as the other tests (TypeScript, through the test's module hooks); the child
    // writes 200 kB of a part and waits to be killed.
    const script = [
      "const { register } = await import('node:module');",
      'register(process.env.MP4FORGE_WORKER_HOOKS);',
      `const q = await import(${JSON.stringify(pathToFileURL(resolve('src/queue/s3-store.ts')).href)});`,
      "const { S3Client } = await import('@aws-sdk/client-s3');",
      `const client = new S3Client(${JSON.stringify(s3.config)});`,
      `const store = q.s3Store({ client, bucket: '${s3.bucket}', prefix: 'killed', tempDir: ${JSON.stringify(spoolDir)} });`,
      "const w = await store.create('job-3', 1, 1);",
      'for (let i = 0; i < 50; i++) await new Promise((r) => w.output.write(new Uint8Array(4096).fill(i), r));',
      "console.log('written');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...QUIET_SDK } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<string | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    await new Promise<void>((ok, bad) => {
      child.stdout.on('data', (d: Buffer) => (d.toString().includes('written') ? ok() : undefined));
      void exited.then(() => bad(new Error(`the writer exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const store = smallStore('killed');
    expect(await store.has('job-3', 1, 1)).toBe(false);
    await expect(store.open('job-3', 1, 1)).rejects.toMatchObject({ code: 'SEGMENT_GAP' });
    expect(await s3.keys('killed/')).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("remove deletes every object under the job's prefix, page after page, and nothing else", async () => {
    const { client, calls } = countingClient();
    const store = smallStore('rm', client);
    for (const k of [1, 2, 3]) {
      const w = await store.create('job-4', k, 3);
      await fill(w, randomBytes(3000));
      await w.commit();
    }
    // Objects of the job that are not committed parts (left by other tools, or by older versions).
    const put = (Key: string) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: 'x' }));
    for (const key of ['rm/job-4/part-2-of-3.m4s.tmp', 'rm/job-4/a/b', 'rm/job-4/z']) await put(key);
    // Neighbours that must stay: another job whose id starts with this one's, another prefix, a key without the '/'.
    const others = ['other/job-4/part-1-of-1.m4s', 'rm/job-4', 'rm/job-40/part-1-of-1.m4s'];
    for (const key of others) await put(key);
    calls.clear();

    await store.remove('job-4');
    expect([...(await s3.keys('other/')), ...(await s3.keys('rm/'))]).toEqual(others);
    // 6 objects, 2 a page: three pages listed, each deleted in one request (the last listing says it is the end).
    expect(Object.fromEntries(calls)).toEqual({ ListObjectsV2Command: 3, DeleteObjectsCommand: 3 });
    await store.remove('job-4'); // nothing left: one empty page, no delete
    expect(calls.get('ListObjectsV2Command')).toBe(4);

    // With no prefix, a job id is a top-level folder: this clears the neighbours.
    await smallStore('').remove('rm');
    await smallStore('').remove('other');
    expect([...(await s3.keys('other/')), ...(await s3.keys('rm/'))]).toEqual([]);
    client.destroy();
  });

  it('a job id that is not safe in a key is refused, as by directoryStore', async () => {
    const store = smallStore('ids');
    const dirStore = directoryStore(join(dir, 'never'));
    for (const id of ['', '../x', 'a/b', '.hidden', 'job 1', '-x']) {
      const message = `a job id must be letters, digits, '.', '_' or '-', got ${JSON.stringify(id)}`;
      for (const call of [() => store.create(id, 1, 1), () => store.open(id, 1, 1), () => store.has(id, 1, 1), () => store.remove(id)]) {
        await expect(call()).rejects.toMatchObject({ code: 'INVALID_OPTION', message });
      }
      await expect(dirStore.has(id, 1, 1)).rejects.toMatchObject({ code: 'INVALID_OPTION', message });
    }
    expect(await s3.keys('ids/')).toEqual([]);
  });

  it('options are checked: client, bucket, prefix, tempDir, and no unknown key', () => {
    const client = s3.client;
    const bad = (o: unknown) => () => s3Store(o as Parameters<typeof s3Store>[0]);
    expect(bad(undefined)).toThrow('s3Store needs options { client, bucket, prefix?, tempDir? }');
    expect(bad({ bucket: 'b' })).toThrow('s3Store needs client: an S3Client of @aws-sdk/client-s3 (new S3Client({ … }))');
    expect(bad({ client, bucket: '' })).toThrow('s3Store needs bucket: a bucket name, got ""');
    expect(bad({ client, bucket: 'b', prefix: 3 })).toThrow('prefix must be a string, got 3');
    expect(bad({ client, bucket: 'b', tempDir: '' })).toThrow('tempDir must be a directory path, got ""');
    expect(bad({ client, bucket: 'b', prefx: 'p' })).toThrow('prefx is not an option (did you mean prefix?); expected one of client, bucket, prefix, tempDir');
    // A prefix is a folder: its slashes are normalised.
    expect(s3Store({ client, bucket: 'b', prefix: '/a/b/' }).description).toBe('s3://b/a/b/');
    expect(s3Store({ client, bucket: 'b' }).description).toBe('s3://b/');
  });

  it('S3 failures are QUEUE_UNAVAILABLE naming the request, the key and what S3 said', async () => {
    const store = smallStore('p', s3.client, 'no-such-bucket');
    const w = await store.create('job-5', 1, 1);
    await fill(w, randomBytes(1000));
    await expect(w.commit()).rejects.toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
      message: expect.stringMatching(
        /^the segment store s3:\/\/no-such-bucket\/p\/ failed: PutObject p\/job-5\/part-1-of-1\.m4s \(HTTP 404\): NoSuchBucket: .*; expected an existing bucket/,
      ),
      details: { store: 's3://no-such-bucket/p/', operation: 'PutObject', key: 'p/job-5/part-1-of-1.m4s' },
    });
    expect(readdirSync(spoolDir)).toEqual([]);
    await expect(store.remove('job-5')).rejects.toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
      message: expect.stringContaining('ListObjectsV2 p/job-5/ (HTTP 404): NoSuchBucket'),
    });
  });
});

describe('mp4forge/queue without @aws-sdk/client-s3 installed', () => {
  it('imports, and s3Store says what to install (QUEUE_UNAVAILABLE) when used; dist/queue.js imports the SDK only on demand', async () => {
    // Statically, the built entry imports the core and the queue's peers, never the SDK.
    for (const file of ['dist/queue.js', 'dist/queue.cjs']) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toMatch(/^import .*@aws-sdk|require\(["']@aws-sdk/m);
      expect(code, file).toContain('import("@aws-sdk/client-s3")');
    }
    // A project with mp4forge and the queue's other peers, and no SDK: the package copied (a link
    // would resolve back into this checkout, where the SDK is), its dependencies linked.
    const app = join(dir, 'no-sdk');
    const pkg = join(app, 'node_modules', 'mp4forge');
    mkdirSync(pkg, { recursive: true });
    cpSync('dist', join(pkg, 'dist'), { recursive: true });
    cpSync('package.json', join(pkg, 'package.json'));
    for (const name of ['mp4box', 'h264-mp4-encoder', 'bullmq', 'ioredis']) symlinkSync(resolve('node_modules', name), join(app, 'node_modules', name));
    writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n');
    const script = [
      "const q = await import('mp4forge/queue');",
      "const store = q.s3Store({ client: { send: async () => ({}) }, bucket: 'b' });",
      "const e = await store.has('job', 1, 1).catch((err) => err);",
      'console.log(JSON.stringify([typeof q.startRenderWorker, e.code, e.message]));',
    ].join('\n');
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      'function',
      'QUEUE_UNAVAILABLE',
      's3Store needs the optional package @aws-sdk/client-s3, and it is not installed: npm install @aws-sdk/client-s3',
    ]);
    // And the CLI says the same for --store s3://….
    const argv = [join(pkg, 'dist', 'cli.js'), 'queue', 'worker', '--redis', 'redis://127.0.0.1:1', '--store', 's3://b/p'];
    const worker = await run(process.execPath, argv, { cwd: app });
    expect(worker.stderr).toBe(
      'mp4forge: [QUEUE_UNAVAILABLE] s3Store needs the optional package @aws-sdk/client-s3, and it is not installed: npm install @aws-sdk/client-s3\n',
    );
    expect(worker.code).toBe(1);
  });
});

describe.runIf(redisAvailable || requireRedis)('renders through Redis with the parts in S3', () => {
  let redis: RedisServer;
  /** renderVideo of the job both renders below make: the reference bytes. */
  let reference: Buffer;
  const job = { width: 320, height: 180, fps: 30, frames: 150, pattern: 'plasma' } as const;

  beforeAll(async () => {
    redis = await startRedis();
    const ref = join(dir, 'ref.mp4');
    await renderVideo({ width: job.width, height: job.height, fps: job.fps, frames: job.frames, scene: job.pattern, output: ref });
    reference = readFileSync(ref);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('the README example (examples/queue/s3.mjs) runs as printed: byte-identical to renderVideo, the bucket empty after', async () => {
    const out = join(dir, 'example.mp4');
    const r = await run(process.execPath, [resolve('examples/queue/s3.mjs')], { env: { ...s3.env, REDIS_URL: redis.url, BUCKET: s3.bucket, OUT: out } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^worker: done segment 3$/m);
    expect(r.stdout).toContain(`wrote ${out} 150 frames`);
    expect(readFileSync(out).equals(reference)).toBe(true);
    expect(await s3.keys('render-parts/')).toEqual([]);
  });

  it('mp4forge queue worker|submit --store s3://BUCKET/PREFIX (the SDK configured by AWS_* variables): the same bytes, the bucket empty after', async () => {
    const store = `s3://${s3.bucket}/cli-parts`;
    // The worker gets the endpoint as AWS_ENDPOINT_URL_S3, by a host name: addressed as BUCKET.localhost
    // (virtual-hosted style, the SDK's default for a name), the bucket would not be found.
    const { AWS_ENDPOINT_URL, ...env } = s3.env;
    const worker = new WorkerProcess(redis.url, store, { ...env, AWS_ENDPOINT_URL_S3: AWS_ENDPOINT_URL.replace('127.0.0.1', 'localhost') });
    try {
      const ready = await worker.waitFor((e) => e.event === 'ready', 20_000);
      expect(ready.store).toBe(`s3://${s3.bucket}/cli-parts/`);
      const out = join(dir, 'cli.mp4');
      const size = ['--width', '320', '--height', '180', '--frames', '150', '--pattern', 'plasma'];
      const argv = ['queue', 'submit', '--redis', redis.url, '--store', store, '--segments', '3', ...size, '--out', out, '--wait', '--json'];
      const submit = await cli(argv, 60_000, s3.env);
      expect(submit.stderr).toBe('');
      expect(submit.code).toBe(0);
      expect(JSON.parse(submit.stdout)).toMatchObject({ status: 'completed', output: out, frames: 150, segments: 3 });
      expect(worker.events('done').filter((e) => e.kind === 'segment')).toHaveLength(3);
      expect(readFileSync(out).equals(reference)).toBe(true);
      expect(await s3.keys('cli-parts/')).toEqual([]);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
    expect(worker.stderr).toBe('');
  });

  it('a segment still rendering when its render fails uploads its part after the failure, then removes it: the bucket empty after', async () => {
    const { error, events } = await failWhileRendering(redis.url, `s3://${s3.bucket}/late-parts`, join(dir, 'late.mp4'), s3.env);
    expect(error).toMatchObject({ code: 'USER_CALLBACK_FAILED' });
    // Rendered into a local spool, segment 2 commits (uploads) after the stitch emptied the job's prefix.
    expect(events.filter((e) => e.kind === 'segment' && e.k === 2).map((e) => e.event)).toEqual(['start', 'done']);
    expect(await s3.keys('late-parts/')).toEqual([]);
  });
});

// Each test checks the keys under its own prefix (a failure stays with its test); this checks the whole bucket.
it('no test left anything in the bucket', async () => {
  expect(await s3.keys()).toEqual([]);
});
