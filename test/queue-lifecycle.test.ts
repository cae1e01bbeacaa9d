// mp4forge/queue beyond test/queue.test.ts's renders: what submit and status do with no worker
// listening (ids, defaults, the CLI's options as they reach Redis), encoder settings and the
// soundtrack through the queue, a render that fails and is submitted again (over a stale part,
// after Redis dropped its connections, after its file was deleted), a segment still rendering
// when its render fails, the output lock, and directoryStore's contract. One redis-server; workers run
// in this process (src/queue), the CLI from dist. Checked against renderVideo's bytes, Redis as
// BullMQ reads it, and the store's directory.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, encodePcmToMp3, renderVideo } from '../src/index.js';
import { directoryStore, getRenderStatus, startRenderWorker, submitRender, type RenderWorker, type WorkerEvent } from '../src/queue/index.js';
import { acquireOutputLock } from '../src/queue/records.js';
import { rejection } from './helpers/rejection.js';
import { cli, CLI, failWhileRendering, runProcess, sleep, WorkerProcess } from './helpers/queue-cli.js';
import { redisAvailable, requireRedis, startRedis, type RedisServer } from './helpers/redis.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('mp4forge-queue-life-');
/** 64 frames in GOPs of 16: four encoder chunks, so at most four segments. */
const VIDEO = { width: 160, height: 120, fps: 30, frames: 64, video: { gop: 16 } } as const;
const JOB = { ...VIDEO, pattern: 'bars' } as const;
const SIZE = ['--width', '160', '--height', '120', '--frames', '64', '--gop', '16'];

describe('directoryStore: a part is whole or absent', () => {
  it('two writers of one part (a job re-delivered while its first worker still writes): one commits, one discards, and the part is whole', async () => {
    const root = join(dir, 'contract');
    const store = directoryStore(root);
    const a = await store.create('job-1', 1, 1);
    const b = await store.create('job-1', 1, 1);
    writeFileSync(a.output as string, 'first');
    writeFileSync(b.output as string, 'second');
    expect(await store.has('job-1', 1, 1)).toBe(false);
    await expect(store.open('job-1', 1, 1)).rejects.toMatchObject({
      code: 'SEGMENT_GAP',
      message: `part 1 of 1 of job job-1 is missing from the store (${join(root, 'job-1', 'part-1-of-1.m4s')})`,
    });
    await b.discard();
    await a.commit();
    expect(await store.has('job-1', 1, 1)).toBe(true);
    expect(readFileSync((await store.open('job-1', 1, 1)) as string, 'utf8')).toBe('first');
    // The discarded writer left nothing beside the part.
    expect(readdirSync(join(root, 'job-1'))).toEqual(['part-1-of-1.m4s']);
    await store.remove('job-1');
    expect(readdirSync(root)).toEqual([]);
  });
});

describe.runIf(redisAvailable || requireRedis)('the queue around its renders (mp4forge/queue)', () => {
  let redis: RedisServer;
  let song: string;
  /** renderVideo of JOB: what every render of JOB through the queue must equal. */
  let reference: Buffer;

  beforeAll(async () => {
    redis = await startRedis();
    const mp3: Uint8Array[] = [];
    for await (const c of encodePcmToMp3(audio.melody({ seconds: 3 }))) mp3.push(c);
    song = join(dir, 'song.mp3');
    writeFileSync(song, Buffer.concat(mp3));
    const ref = join(dir, 'ref.mp4');
    await renderVideo({ ...VIDEO, scene: 'bars', output: ref });
    reference = readFileSync(ref);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** BullMQ's own view of queue `name` (in database `db`): the jobs as it stored them. */
  const bull = (name: string, db = 0) => new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db }, prefix: 'mp4forge' });

  it('with no worker listening: the id covers the split and not the key order, the defaults reach BullMQ, a second submit follows the first, status counts segments', async () => {
    const idle = { connection: redis.url, queue: 'idle' }; // no worker takes jobs from this queue
    const output = join(dir, 'idle.mp4');
    const job = { ...JOB, video: { gop: 16, qp: 30 }, output };
    const a = await submitRender(job, { ...idle, segments: 2, watch: false });
    expect(a.status).toBe('queued');
    const reordered = { output, video: { qp: 30, gop: 16 }, pattern: 'bars', frames: 64, fps: 30, height: 120, width: 160 } as const;
    expect(await submitRender(reordered, { ...idle, segments: 2, watch: false })).toMatchObject({ id: a.id, status: 'running' });
    const four = await submitRender(job, { ...idle, segments: 4, watch: false });
    expect(four.status).toBe('queued');
    expect(four.id).not.toBe(a.id);
    // More segments than encoder chunks: refused before anything is queued.
    const tooMany = await rejection(submitRender(job, { ...idle, segments: 5, watch: false }));
    expect(tooMany.code).toBe('INVALID_OPTION');
    expect(tooMany.message).toMatch(/64 frames make 4 chunks of 16 frames .*too few for 5 segments/);

    const queue = bull('idle');
    try {
      expect((await queue.getJobs()).map((j) => j.id).sort()).toEqual(
        [a.id, four.id, ...[1, 2].map((k) => `${a.id}-s${k}of2`), ...[1, 2, 3, 4].map((k) => `${four.id}-s${k}of4`)].sort(),
      );
      // attempts = 3 and backoff = 1000 ms doubling, as documented, on every job of the render.
      for (const id of [a.id, `${a.id}-s1of2`, `${a.id}-s2of2`]) {
        expect((await queue.getJob(id))?.opts, id).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
      }
      // A database in the URL: the render goes there, not into database 0.
      const db5 = bull('idle', 5);
      try {
        const inDb5 = await submitRender({ ...JOB, output: join(dir, 'db5.mp4') }, { connection: `${redis.url}/5`, queue: 'idle', segments: 1, watch: false });
        expect(await db5.getJobState(inDb5.id)).toBe('waiting-children');
        expect(await queue.getJobState(inDb5.id)).toBe('unknown');
      } finally {
        await db5.close();
      }
    } finally {
      await queue.close();
    }
    expect(await getRenderStatus(a.id, idle)).toEqual({ id: a.id, state: 'rendering', segments: { done: 0, total: 2 } });
    const status = await cli(['queue', 'status', '--redis', redis.url, '--queue', 'idle', four.id]);
    expect(status.stdout).toBe(`${four.id} rendering: 0/4 segments done\n`);
  });

  it('the CLI: --queue, and --audio and --out relative to its directory, reach the job; a second submit says it follows the first', async () => {
    writeFileSync(join(dir, 'short.mp3'), readFileSync(song));
    const args = [CLI, 'queue', 'submit', '--redis', redis.url, '--queue', 'idle-cli', '--segments', '2', ...SIZE, '--audio', 'short.mp3', '--out', 'cli.mp4'];
    const first = await runProcess(process.execPath, [...args, '--json'], { cwd: dir });
    expect(first.stderr).toBe('');
    const { id, status } = JSON.parse(first.stdout) as { id: string; status: string };
    expect(status).toBe('queued');
    const second = await runProcess(process.execPath, args, { cwd: dir });
    expect(second.stdout).toBe(`${id}\n`);
    expect(second.stderr).toBe(`mp4forge: already on the queue: ${id}\n`);
    const queue = bull('idle-cli');
    try {
      const stitch = await queue.getJob(id);
      expect(stitch?.data).toMatchObject({ n: 2, job: { audio: join(dir, 'short.mp3'), output: join(dir, 'cli.mp4'), video: { gop: 16 } } });
    } finally {
      await queue.close();
    }
  });

  describe('with a worker', () => {
    const store = join(dir, 'parts');
    const events: WorkerEvent[] = [];
    let worker: RenderWorker;
    beforeAll(async () => {
      mkdirSync(store);
      worker = await startRenderWorker({ connection: redis.url, store: directoryStore(store), onEvent: (e) => events.push(e) });
    });
    afterAll(async () => {
      await worker?.stop();
    });

    it('submit --wait with --qp, --layout fragmented, --audio and --keep: the bytes of renderVideo with those options, its audio, the outcome kept --keep seconds', async () => {
      const out = join(dir, 'qp.mp4');
      const argv = ['queue', 'submit', '--redis', redis.url, '--segments', '2', ...SIZE, '--qp', '36', '--layout', 'fragmented', '--audio', song];
      const r = await cli([...argv, '--keep', '3600', '--out', out, '--wait', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const ref = join(dir, 'qp-ref.mp4');
      const single = await renderVideo({ ...VIDEO, scene: 'bars', video: { gop: 16, qp: 36 }, layout: 'fragmented', audio: song, output: ref });
      expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
      const result = JSON.parse(r.stdout) as { id: string; audio?: unknown };
      expect(result).toMatchObject({ status: 'completed', frames: 64, segments: 2, layout: 'fragmented', bytes: single.bytes });
      expect(result.audio).toEqual(JSON.parse(JSON.stringify(single.audio)));
      const ttl = await redis.client.ttl(`mp4forge:render:mp4forge:result:${result.id}`);
      expect(ttl).toBeGreaterThan(3000);
      expect(ttl).toBeLessThanOrEqual(3600);
    });

    it('a render that failed is recorded failed and leaves no part; submitted again it renders again: over a stale part, after Redis dropped every connection, after its file was deleted', async () => {
      const later = join(dir, 'later');
      const output = join(later, 'v.mp4');
      const options = { connection: redis.url, segments: 2, attempts: 1, store: directoryStore(store) };
      // The stitch cannot write into a directory that does not exist.
      const first = await submitRender({ ...JOB, output }, options);
      const failed = await rejection(first.result());
      expect(failed.code).toBe('SINK_FAILED');
      expect(failed.message).toContain(`the directory ${later} does not exist`);
      const error = { code: 'SINK_FAILED', message: failed.message };
      expect(await getRenderStatus(first.id, { connection: redis.url })).toEqual({ id: first.id, state: 'failed', error });
      expect(readdirSync(store)).toEqual([]);

      // A part of this job in the store that is not what the job renders (left by an earlier run):
      // submitting again clears it before the job is queued.
      mkdirSync(join(store, first.id));
      writeFileSync(join(store, first.id, 'part-1-of-2.m4s'), 'stale');
      mkdirSync(later);
      const second = await submitRender({ ...JOB, output }, options);
      expect(second).toMatchObject({ id: first.id, status: 'queued' });
      expect(await second.result()).toMatchObject({ id: first.id, output, frames: 64, bytes: reference.length });
      expect(readFileSync(output).equals(reference)).toBe(true);

      // Redis drops every connection (a restart, a network cut): the worker's clients reconnect.
      expect(Number(await redis.client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'))).toBeGreaterThan(0);
      rmSync(output);
      const third = await submitRender({ ...JOB, output }, options);
      expect(third).toMatchObject({ id: first.id, status: 'queued' });
      await third.result();
      expect(readFileSync(output).equals(reference)).toBe(true);
      expect(readdirSync(store)).toEqual([]);
    });
  });

  it('a segment still rendering when its render fails ends skipped, not failed, and leaves nothing; the stitch fails once', async () => {
    const store = join(dir, 'late-parts');
    mkdirSync(store);
    const { error, events } = await failWhileRendering(redis.url, store, join(dir, 'late.mp4'));
    expect(error).toMatchObject({
      code: 'USER_CALLBACK_FAILED',
      message: 'segment 1 of 2 failed after 2 attempt(s): the frame callback threw at frame 0: scene bug at frame 0',
    });
    const stitchFailed = events.findIndex((e) => e.event === 'failed' && e.kind === 'stitch');
    expect(events.filter((e) => e.event === 'failed' && e.kind === 'stitch')).toHaveLength(1);
    // What this test is about: segment 2 was still rendering when the render failed. The stitch
    // removed the job's directory, its temporary part with it: segment 2 ends there, skipped, not
    // failed (which would report an unrelated SINK_FAILED and retry it).
    const segment2 = events.filter((e) => e.kind === 'segment' && e.k === 2);
    expect(stitchFailed).toBeLessThan(events.indexOf(segment2[1]));
    expect(segment2.map((e) => [e.event, e.reason])).toEqual([
      ['start', undefined],
      ['skipped', 'the render has failed or was removed'],
    ]);
    expect(readdirSync(store)).toEqual([]);
  });

  it('a worker stopped while it renders a segment hands it back to the queue at once, not counted as an attempt', async () => {
    const store = join(dir, 'handed-parts');
    mkdirSync(store);
    const worker = new WorkerProcess(redis.url, store);
    try {
      await worker.waitFor((e) => e.event === 'ready', 20_000);
      // 32 frames × 40 ms: time to stop it mid-segment (the query needs a worker process; vitest's loader drops it).
      const scene = `${pathToFileURL(resolve('test/fixtures/scenes/queue-bars.mjs')).href}?delay=40`;
      const render = await submitRender({ ...VIDEO, scene, output: join(dir, 'handed.mp4') }, { connection: redis.url, segments: 2, watch: false });
      const held = await worker.waitFor((e) => e.event === 'start', 20_000);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.events('handed-back')).toEqual([expect.objectContaining({ id: render.id, k: held.k })]);
      // Back in the queue now (no worker is left to take it): not held until its lock expires, like a crashed worker's job.
      const queue = bull('render');
      try {
        const job = await queue.getJob(`${render.id}-s${held.k as number}of2`);
        expect(await job?.getState()).toBe('waiting');
        expect(job?.attemptsMade).toBe(0);
      } finally {
        await queue.obliterate({ force: true });
        await queue.close();
      }
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });

  it('the output lock: one holder at a time, renewed while held, released only by its holder', async () => {
    const key = 'mp4forge:test:output-lock';
    // A lifetime of 1 s, renewed every third of it: a loaded CI machine may stall this process for
    // a few hundred milliseconds without the lock lapsing.
    const a = await acquireOutputLock(redis.client, key, 'a', 1000);
    expect(a).not.toBeNull();
    expect(await acquireOutputLock(redis.client, key, 'b', 1000)).toBeNull();
    await sleep(2500); // over two lifetimes of the lock: only its renewal keeps it
    expect(await redis.client.get(key)).toMatch(/^a:/);
    await a?.release();
    expect(await redis.client.exists(key)).toBe(0);

    // A holder that lost its lock (it expired while the holder was stalled) and releases late
    // must not release the next holder's.
    const late = await acquireOutputLock(redis.client, key, 'late', 300);
    await redis.client.del(key);
    const next = await acquireOutputLock(redis.client, key, 'next', 300);
    expect(next).not.toBeNull();
    await late?.release();
    expect(await redis.client.get(key)).toMatch(/^next:/);
    await next?.release();
    expect(await redis.client.exists(key)).toBe(0);
  });
});
