// mp4forge/queue with real parts: a redis-server started here, worker processes spawned through
// the CLI (`node dist/cli.js queue worker`), renders submitted through the CLI and the library.
// The results are checked against a single-process `mp4forge render` (byte identity), ffprobe and
// ffmpeg; the store directory and Redis are checked for leftovers.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, encodePcmToMp3 } from '../src/index.js';
import type * as Core from '../src/index.js';
import type * as Queue from '../src/queue/index.js';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { cli, CLI, runProcess, sleep, until, WorkerProcess } from './helpers/queue-cli.js';
import { freePort, redisAvailable, requireRedis, startRedis, type RedisServer } from './helpers/redis.js';

const SCENE = resolve('test/fixtures/scenes/queue-bars.mjs');
const SIZE = ['--width', '320', '--height', '240'];

describe.runIf(redisAvailable || requireRedis)('distributed rendering on BullMQ and Redis (mp4forge/queue)', () => {
  let redis: RedisServer;
  let dir: string;
  let store: string;
  let song: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp4forge-queue-'));
    store = join(dir, 'store');
    mkdirSync(store);
    redis = await startRedis();
    const mp3: Uint8Array[] = [];
    for await (const c of encodePcmToMp3(audio.melody({ seconds: 20 }))) mp3.push(c);
    song = join(dir, 'song.mp3');
    writeFileSync(song, Buffer.concat(mp3));
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const spawnWorker = async () => {
    const w = new WorkerProcess(redis.url, store);
    workers.push(w);
    await w.waitFor((e) => e.event === 'ready', 20_000);
    return w;
  };

  /** Every key in Redis, with its type and TTL. */
  async function redisKeys(): Promise<{ key: string; ttl: number }[]> {
    const keys = (await redis.client.keys('*')).sort();
    return Promise.all(keys.map(async (key) => ({ key, ttl: await redis.client.ttl(key) })));
  }

  /** Keys of the queue itself, not of any job: BullMQ's metadata, its event stream (capped), its id counter, its stalled-check marker. */
  const QUEUE_LEVEL = new Set(['mp4forge:render:meta', 'mp4forge:render:events', 'mp4forge:render:id', 'mp4forge:render:stalled-check']);

  it(
    '600 frames in 6 segments on 3 worker processes, one SIGKILLed and one SIGTERMed while holding a segment: ' +
      'byte-identical to mp4forge render, plays, nothing left in the store or Redis, and a resubmission renders nothing',
    async () => {
      const ref = join(dir, 'ref.mp4');
      const single = await cli(['render', '--scene', SCENE, ...SIZE, '--frames', '600', '--audio', song, '--out', ref]);
      expect(single.stderr).toMatch(/wrote ref\.mp4: 600 frames/);
      expect(single.code).toBe(0);

      const [a, b, c] = await Promise.all([spawnWorker(), spawnWorker(), spawnWorker()]);
      const out = join(dir, 'queued.mp4');
      // 30 ms a frame: a segment (60 or 120 frames) takes 1.8–3.6 s, a wide window to kill its worker in.
      const scene = `${pathToFileURL(SCENE).href}?delay=30`;
      const submit = cli([
        'queue', 'submit', '--redis', redis.url, '--store', store, '--segments', '6', '--scene', scene, ...SIZE, '--frames', '600', '--audio', song,
        '--out', out, '--wait', '--json',
      ]);

      // SIGKILL the first worker to start a segment, while it holds it (started, not done, its
      // half-written part in the store).
      const firstStart = await Promise.race([a, b, c].map((w) => w.waitFor((e) => e.event === 'start', 20_000).then((e) => ({ w, e }))));
      const victim = firstStart.w;
      const killedK = firstStart.e.k as number;
      const id = firstStart.e.id as string;
      await sleep(500);
      // It holds the segment: started, not done, and the job is active in BullMQ with its lock held.
      expect(victim.events('done')).toEqual([]);
      expect(await redis.client.lrange('mp4forge:render:active', 0, -1)).toContain(`${id}-s${killedK}of6`);
      expect(await redis.client.exists(`mp4forge:render:${id}-s${killedK}of6:lock`)).toBe(1);
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe(null);

      // SIGTERM another one once it holds a segment: it hands the segment back and exits 0.
      const [other] = [a, b, c].filter((w) => w !== victim);
      const termStart = other.lines.length;
      const held2 = await other.waitFor((e) => e.event === 'start', 20_000, termStart);
      await sleep(300);
      other.child.kill('SIGTERM');
      expect(await other.exited).toBe(0);
      expect(other.events('handed-back')).toEqual([expect.objectContaining({ k: held2.k, id })]);
      expect(other.events('stopped')).toEqual([expect.objectContaining({ signal: 'SIGTERM', handedBack: 1 })]);
      await spawnWorker(); // a fresh one, for the segments the two stopped workers gave back

      const r = await submit;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as { status: string; id: string; output: string; frames: number; segments: number; bytes: number };
      expect(result).toMatchObject({ status: 'completed', id, output: out, frames: 600, segments: 6 });

      // The killed worker's segment went back to the queue through BullMQ's stalled-job check and
      // was rendered by a live worker.
      const events = workers.filter((w) => w !== victim).flatMap((w) => w.lines);
      expect(events.some((l) => l.e.event === 'stalled' && l.e.jobId === `${id}-s${killedK}of6`)).toBe(true);
      for (const k of [killedK, held2.k as number]) expect(events.some((l) => l.e.event === 'done' && l.e.kind === 'segment' && l.e.k === k)).toBe(true);
      // One stitch, started after all six segments were done.
      const stitches = events.filter((l) => l.e.event === 'start' && l.e.kind === 'stitch');
      expect(stitches).toHaveLength(1);
      const segmentsDone = [...workers].flatMap((w) => w.lines).filter((l) => l.e.event === 'done' && l.e.kind === 'segment' && l.e.id === id);
      expect(new Set(segmentsDone.map((l) => l.e.k))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
      expect(Math.max(...segmentsDone.map((l) => l.at))).toBeLessThan(stitches[0].at);

      // The file: the same bytes as the single-process render; ffprobe counts every frame; ffmpeg decodes it cleanly.
      expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
      const probe = await ffprobe(out, { count: true });
      expect(Number(probe.streams.find((s) => s.codec_type === 'video')?.nb_read_frames)).toBe(600);
      expect(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('mp3');
      expect(await ffmpegDecodeCheck(out)).toEqual({ ok: true, stderr: '' });

      // Nothing left behind: the store is empty (the killed worker's temporary part too), and Redis
      // holds only the queue's own keys and this render's outcome, which expires.
      expect(readdirSync(store)).toEqual([]);
      const keys = await redisKeys();
      const resultKey = `mp4forge:render:mp4forge:result:${id}`;
      expect(keys.filter((k) => !QUEUE_LEVEL.has(k.key)).map((k) => k.key)).toEqual([resultKey]);
      expect(keys.find((k) => k.key === resultKey)?.ttl).toBeGreaterThan(600_000);

      // Idempotent: the same job again is answered from the record, and no worker starts anything.
      const startsBefore = workers.reduce((n, w) => n + w.events('start').length, 0);
      const mtime = statSync(out).mtimeMs;
      const again = await cli([
        'queue', 'submit', '--redis', redis.url, '--segments', '6', '--scene', scene, ...SIZE, '--frames', '600', '--audio', song, '--out', out,
        '--wait', '--json',
      ]);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: 'done', id, bytes: result.bytes });
      const status = await cli(['queue', 'status', '--redis', redis.url, id, '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ id, state: 'completed', result: { output: out, frames: 600 } });
      await sleep(500);
      expect(workers.reduce((n, w) => n + w.events('start').length, 0)).toBe(startsBefore);
      expect(statSync(out).mtimeMs).toBe(mtime);
    },
  );

  it('a scene that keeps throwing: the render fails with USER_CALLBACK_FAILED in the job, in submit --wait and in status; its parts are removed', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(live.length).toBeGreaterThanOrEqual(2);
    const out = join(dir, 'failing.mp4');
    const scene = `${pathToFileURL(SCENE).href}?throwAt=70&delay=5`;
    const r = await cli([
      'queue', 'submit', '--redis', redis.url, '--segments', '3', '--attempts', '2', '--scene', scene, ...SIZE, '--frames', '180', '--out', out,
      '--wait', '--json',
    ]);
    expect(r.code).toBe(1);
    // The core's one wording for a throw in user drawing code (src/pipeline/frame-loop.ts).
    const message = 'segment 2 of 3 failed after 2 attempt(s): the frame callback threw at frame 70: scene bug at frame 70';
    expect(r.stderr).toBe(`mp4forge: [USER_CALLBACK_FAILED] ${message}\n`);
    const failed = JSON.parse(r.stdout) as { id: string; status: string; error: { code: string; message: string } };
    expect(failed).toEqual({ id: failed.id, status: 'failed', error: { code: 'USER_CALLBACK_FAILED', message } });
    // Both attempts ran (retried, then given up).
    const attempts = live.flatMap((w) => w.events('failed')).filter((e) => e.kind === 'segment' && e.id === failed.id);
    expect(attempts.map((e) => e.code)).toEqual(['USER_CALLBACK_FAILED', 'USER_CALLBACK_FAILED']);

    const status = await cli(['queue', 'status', '--redis', redis.url, failed.id]);
    expect(status.stdout).toBe(`${failed.id} failed: [USER_CALLBACK_FAILED] ${message}\n`);
    // Parts of the segments that did render are removed (a sibling may finish after the failure:
    // it removes its own part then), no output file, and no job left in Redis.
    await until('the store to be empty', () => readdirSync(store).length === 0, 15_000);
    expect(() => statSync(out)).toThrow();
    expect(readdirSync(dir).filter((f) => f.includes('failing'))).toEqual([]);
    const onlyQueueKeysAndResults = async () => (await redisKeys()).every((k) => QUEUE_LEVEL.has(k.key) || k.key.includes(':mp4forge:result:'));
    await until('no job of the failed render in Redis', onlyQueueKeysAndResults, 15_000);
  });

  it('unreachable Redis: QUEUE_UNAVAILABLE within the connect timeout — refused, and a server that never answers', async () => {
    const refusedPort = await freePort();
    const refused = await cli(['queue', 'submit', '--redis', `redis://127.0.0.1:${refusedPort}`, '--segments', '2', '--out', join(dir, 'never.mp4')], 15_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^mp4forge: \\[QUEUE_UNAVAILABLE\\] cannot reach Redis at redis://127\\.0\\.0\\.1:${refusedPort}: .*ECONNREFUSED.*is redis-server running there\\?`));
    expect(refused.ms).toBeLessThan(10_000);

    // A server that accepts connections and never says a word: only the timeout can end the wait.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const worker = await cli(['queue', 'worker', '--redis', `redis://127.0.0.1:${port}`, '--store', store, '--connect-timeout', '1500'], 15_000);
      expect(worker.code).toBe(1);
      expect(worker.stderr).toBe(`mp4forge: [QUEUE_UNAVAILABLE] cannot reach Redis at redis://127.0.0.1:${port}: no answer within 1500 ms; is redis-server running there? (connection / --redis URL)\n`);
      expect(worker.ms).toBeGreaterThan(1400);
      expect(worker.ms).toBeLessThan(10_000);

      // The library: the same error, an Mp4ForgeError of the main entry's class (one copy of the core).
      const queue = (await import(pathToFileURL(resolve('dist/queue.js')).href)) as typeof Queue;
      const core = (await import(pathToFileURL(resolve('dist/index.js')).href)) as typeof Core;
      const started = performance.now();
      const err = await queue
        .getRenderStatus('mp4f-00000000000000000000000000000000', { connection: { port }, connectTimeoutMs: 800 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(core.Mp4ForgeError);
      expect(err).toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: expect.stringContaining('no answer within 800 ms') });
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('the README demo (examples/queue/demo.sh) runs as printed: Redis, 3 workers, one killed, a byte-identical file', async () => {
    const demo = join(dir, 'demo');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'mp4forge'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const port = await freePort();
    const r = await runProcess(
      'bash',
      [resolve('examples/queue/demo.sh')],
      { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, PORT: String(port), DIR: demo, SIZE: '--width 160 --height 120' } },
      90_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^killed .*worker\d: mp4forge queue worker \d+: segment \d\/6 of mp4f-[0-9a-f]{32}: started \(attempt 1\)$/m);
    expect(r.stdout).toMatch(/^mp4f-[0-9a-f]{32} completed: .*out\.mp4, 600 frames/m);
    expect(r.stdout).toMatch(/^out\.mp4 is byte-identical to single\.mp4$/m);
    expect(readdirSync(join(demo, 'parts'))).toEqual([]);
    // Nothing of the demo is left running: its Redis is down (the port is free again).
    const probe = createServer();
    await new Promise<void>((ok, bad) => probe.once('error', bad).listen(port, '127.0.0.1', () => ok()));
    await new Promise((ok) => probe.close(ok));
  });

  it('the remaining workers stop on SIGTERM with status 0', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (const w of live) w.child.kill('SIGTERM');
    expect(await Promise.all(live.map((w) => w.exited))).toEqual(live.map(() => 0));
    for (const w of live) expect(w.events('stopped')).toEqual([expect.objectContaining({ signal: 'SIGTERM', handedBack: 0 })]);
  });
  // After the CLI workers have stopped: every worker of a queue must share its store, and this one has its own.
  it('the README library example (examples/queue/library.mjs) runs as printed: startRenderWorker + submitRender with progress', async () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    const r = await runProcess(process.execPath, [resolve('examples/queue/library.mjs')], { env: { REDIS_URL: redis.url, SHARED_DIR: shared } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^job mp4f-[0-9a-f]{32} queued$/m);
    expect(r.stdout).toMatch(/^150\/150 frames, 3\/3 segments$/m);
    expect(r.stdout).toContain(`wrote ${join(shared, 'out.mp4')} 150 frames`);
    const probe = await ffprobe(join(shared, 'out.mp4'), { count: true });
    expect(Number(probe.streams[0].nb_read_frames)).toBe(150);
    expect(readdirSync(join(shared, 'parts'))).toEqual([]);
  });

});
