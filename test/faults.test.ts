// Fault injection: outputs that fail part-way (EPIPE, ENOSPC) through every kind of output, outputs
// that stall, writers stopped at a random frame (abort, AbortSignal, a throwing frame callback), and
// the CLI killed mid-way. What must hold: the error is an Mp4ForgeError with the original cause,
// nothing hangs, no promise rejects unhandled, and what is left behind is either a file that plays
// (complete fragments) or clearly no file - never a truncated file that looks whole.
// (test/writer-errors.test.ts has the basic single cases; this file covers the combinations.)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, type Mp4Writer, type Mp4WriterOptions, type Sink } from '../src/index.js';
import { drawPattern } from '../src/generate/patterns.js';
import { chunkFramesFor } from '../src/encode/backend.js';
import { assertValidIsoBmff, readSampleTables } from './helpers/iso-validate.js';
import { FFPROBE, ffmpegDecodeCheck, ffprobe, run } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

const W = 160;
const H = 96;
const base: Mp4WriterOptions = { width: W, height: H, fps: 30, output: { buffer: true } };
type Layout = 'faststart' | 'progressive' | 'fragmented';
const LAYOUTS: Layout[] = ['faststart', 'progressive', 'fragmented'];

// Every promise the library creates must be handled: record any that is not, for the whole file.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(async () => {
  // Let pending microtasks and timers settle before the last look.
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled.map(String)).toEqual([]);
});

/** Settles `p` or fails the test after `ms`: a hang becomes a failure with a name, not a timeout. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms (hang)`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(p: Promise<unknown>, what = 'operation'): Promise<Mp4ForgeError> {
  const r = await within(30_000, what, p.then(() => null, (e: unknown) => e));
  if (r === null) throw new Error(`${what}: expected a rejection`);
  expect(r, `${what}: ${r instanceof Error ? r.message : JSON.stringify(r)}`).toBeInstanceOf(Mp4ForgeError);
  return r as Mp4ForgeError;
}

function errnoError(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${code === 'EPIPE' ? 'broken pipe' : 'no space left on device'}, write`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

// --- outputs that fail after N bytes -------------------------------------------------------------

type OutputKind = 'sink' | 'node-writable' | 'web-stream';

/** An output of the given kind that takes `limit` bytes, then fails every write with `code`. */
function failingOutput(kind: OutputKind, limit: number, code: string) {
  const state = { received: 0, aborted: false, incomplete: undefined as boolean | undefined, closed: false };
  const take = (n: number): Error | null => {
    if (state.received + n > limit) return errnoError(code);
    state.received += n;
    return null;
  };
  let output: Mp4WriterOptions['output'];
  if (kind === 'sink') {
    const sink: Sink = {
      write: async (b) => {
        const e = take(b.length);
        if (e) throw e;
      },
      close: async () => void (state.closed = true),
      abort: async (_reason, incomplete) => {
        state.aborted = true;
        state.incomplete = incomplete;
      },
    };
    output = sink;
  } else if (kind === 'node-writable') {
    output = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        cb(take(chunk.length));
      },
      final(cb) {
        state.closed = true;
        cb();
      },
      destroy(err, cb) {
        state.aborted = true;
        cb(err);
      },
    });
  } else {
    output = new WritableStream<Uint8Array>({
      write(chunk) {
        const e = take(chunk.length);
        if (e) throw e;
      },
      close() {
        state.closed = true;
      },
      abort() {
        state.aborted = true;
      },
    });
  }
  return { output, state };
}

const FAULT_FRAMES = 24;

/** This process's faststart spool files (src/mux/node-sinks.ts names them mp4forge-PID-*.spool). */
function spoolFiles(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`mp4forge-${process.pid}-`) && f.endsWith('.spool'));
}

/** Feeds noise frames (big, so the output grows fast) until a call rejects; returns that error. */
async function feedUntilFailure(w: Mp4Writer, frames: number): Promise<{ err: Mp4ForgeError | null; stage: string }> {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < frames; i++) {
    drawPattern('noise', rgba, W, H, i);
    const r = await within(30_000, `addFrame ${i}`, w.addFrame(rgba).then(() => null, (e: unknown) => e));
    if (r) {
      expect(r).toBeInstanceOf(Mp4ForgeError);
      return { err: r as Mp4ForgeError, stage: `addFrame ${i}` };
    }
  }
  const r = await within(30_000, 'finish', w.finish().then(() => null, (e: unknown) => e));
  if (r) expect(r).toBeInstanceOf(Mp4ForgeError);
  return { err: r as Mp4ForgeError | null, stage: 'finish' };
}

describe('outputs that fail after N bytes', () => {
  const fullSize = new Map<Layout, number>();
  beforeAll(async () => {
    // The size each layout reaches with these frames, so N can be drawn below it.
    for (const layout of LAYOUTS) fullSize.set(layout, await probeSize(layout));
  });
  async function probeSize(layout: Layout): Promise<number> {
    const w = await createMp4Writer({ ...base, layout, video: { qp: 10, gop: 5 } });
    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < FAULT_FRAMES; i++) {
      drawPattern('noise', rgba, W, H, i);
      await w.addFrame(rgba);
    }
    return (await w.finish()).bytes;
  }

  it('EPIPE / ENOSPC at any byte, through a Sink, a Node Writable and a WritableStream: SINK_FAILED with the cause, output aborted, writer stays failed', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LAYOUTS),
        fc.constantFrom<OutputKind>('sink', 'node-writable', 'web-stream'),
        fc.constantFrom('EPIPE', 'ENOSPC'),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        async (layout, kind, code, at) => {
          const limit = Math.floor(at * (fullSize.get(layout) as number));
          const { output, state } = failingOutput(kind, limit, code);
          const w = await createMp4Writer({ ...base, output, layout, video: { qp: 10, gop: 5 } });
          const { err, stage } = await feedUntilFailure(w, FAULT_FRAMES);
          const label = `${layout} → ${kind}, ${code} after ${limit} B (${stage})`;
          expect(err, `${label}: the failure was not reported`).not.toBeNull();
          expect(err!.code, label).toBe('SINK_FAILED');
          // The original error travels as the cause, with its errno code.
          expect((err!.cause as NodeJS.ErrnoException | undefined)?.code, label).toBe(code);
          expect(err!.message, label).toContain(code);
          // A WritableStream whose own write threw is already errored, and WHATWG streams do not
          // call the sink's abort() on an errored stream; the other outputs must be aborted.
          if (kind !== 'web-stream') expect(state.aborted, `${label}: output not aborted`).toBe(true);
          expect(state.closed, `${label}: a failed output must not be closed as if complete`).toBe(false);
          // Only a Sink is told whether the bytes it got form a file: never for faststart/progressive.
          if (kind === 'sink' && layout !== 'fragmented') expect(state.incomplete, label).toBe(true);
          // The writer stays failed with the same error, promptly.
          expect(await rejection(w.finish(), `${label}: finish after failure`)).toBe(err);
          expect(await rejection(w.addFrame(new Uint8Array(W * H * 4)), `${label}: addFrame after failure`)).toBe(err);
          await within(10_000, `${label}: abort after failure`, w.abort());
          // faststart on a stream goes through a temporary spool file: it must be gone.
          expect(spoolFiles(), `${label}: spool file left behind`).toEqual([]);
          seen.set(`${layout}/${kind}`, (seen.get(`${layout}/${kind}`) ?? 0) + 1);
        },
      ),
      { numRuns: 30 },
    );
    console.log(`faults: failing outputs exercised: ${JSON.stringify(Object.fromEntries(seen))}`);
  });

  it('a file path that cannot be opened: SINK_FAILED with the ENOENT cause, at creation', async () => {
    const err = await rejection(createMp4Writer({ ...base, output: tmpFile('no-such-dir/x.mp4') }), 'open');
    expect(err.code).toBe('SINK_FAILED');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

// --- stalled outputs: backpressure -------------------------------------------------------------------

/** A gate that holds every write until opened; counts writes waiting and the most at once. */
class Gate {
  private open = false;
  private waiters: (() => void)[] = [];
  waiting = 0;
  maxWaiting = 0;
  writes = 0;
  async pass(): Promise<void> {
    this.writes++;
    if (this.open) return;
    this.waiting++;
    this.maxWaiting = Math.max(this.maxWaiting, this.waiting);
    await new Promise<void>((r) => this.waiters.push(r));
    this.waiting--;
  }
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

function gatedOutput(kind: OutputKind, gate: Gate, into: Uint8Array[]): Mp4WriterOptions['output'] {
  if (kind === 'sink') {
    return {
      write: async (b) => {
        await gate.pass();
        into.push(b.slice());
      },
      close: async () => {},
      abort: async () => {},
    } satisfies Sink;
  }
  if (kind === 'node-writable') {
    return new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        gate.pass().then(() => {
          into.push(new Uint8Array(chunk));
          cb();
        }, cb);
      },
    });
  }
  return new WritableStream<Uint8Array>(
    {
      async write(chunk) {
        await gate.pass();
        into.push(chunk.slice());
      },
    },
    new CountQueuingStrategy({ highWaterMark: 1 }),
  );
}

describe('a stalled output holds the producer back', () => {
  // With the output stalled, an awaiting producer must stop being let through after a bounded
  // number of frames: the encoder chunk (16 frames for gop 8), plus one 0.5 s muxer chunk (15
  // frames at 30 fps) or one fragment (a GOP), plus what the stream's own buffer takes.
  const BOUND = chunkFramesFor(8) + 15 + 8 + 4;
  const ATTEMPT = 90;

  it.each(
    (['progressive', 'fragmented'] as const).flatMap((layout) => (['sink', 'node-writable', 'web-stream'] as const).map((kind) => [layout, kind] as const)),
  )('%s → %s', async (layout, kind) => {
    const gate = new Gate();
    const chunks: Uint8Array[] = [];
    const w = await createMp4Writer({ ...base, output: gatedOutput(kind, gate, chunks), layout, video: { gop: 8 } });
    let accepted = 0;
    const producer = (async () => {
      const rgba = new Uint8Array(W * H * 4);
      for (let i = 0; i < ATTEMPT; i++) {
        drawPattern('bars', rgba, W, H, i);
        await w.addFrame(rgba);
        accepted++;
      }
      return w.finish();
    })();
    // Wait until the producer has stopped moving with a write held at the gate.
    let last = -1;
    let still = 0;
    for (let t = 0; t < 600 && still < 10; t++) {
      await new Promise((r) => setTimeout(r, 25));
      if (accepted === last && gate.waiting > 0) still++;
      else still = 0;
      last = accepted;
    }
    console.log(`faults: ${layout} → ${kind}: ${accepted} frames accepted while the output was stalled (${gate.writes} writes reached it)`);
    expect(gate.waiting, 'a write is held at the stalled output').toBeGreaterThan(0);
    expect(accepted, 'frames accepted while the output was stalled').toBeLessThanOrEqual(BOUND);
    // Writes are issued one at a time: the muxer waits for each before the next.
    expect(gate.maxWaiting).toBe(1);
    gate.release();
    const r = await within(60_000, 'finish after the output resumed', producer);
    expect(r.frames).toBe(ATTEMPT);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(r.bytes);
    assertValidIsoBmff(bytes);
  });
});

// --- stopped at a random frame ---------------------------------------------------------------------

describe('stopped at a random frame', () => {
  type Stop = 'abort()' | 'signal' | 'callback throws';
  const refs = new Map<number, Promise<Uint8Array>>();
  /** The same plasma clip, 48 frames, finished normally. */
  function referenceClip(gop: number): Promise<Uint8Array> {
    if (!refs.has(gop)) {
      refs.set(
        gop,
        (async () => {
          const w = await createMp4Writer({ ...base, layout: 'fragmented', video: { gop } });
          await w.addFrames(48, 'plasma');
          return (await w.finish()).data as Uint8Array;
        })(),
      );
    }
    return refs.get(gop) as Promise<Uint8Array>;
  }

  it('no hang; faststart/progressive leave no file; fragmented keeps whole GOPs, the right frames, decodable', async () => {
    let n = 0;
    const kept: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LAYOUTS),
        fc.constantFrom<Stop>('abort()', 'signal', 'callback throws'),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(4, 10),
        async (layout, stop, k, gop) => {
          const file = tmpFile(`stopped-${n++}.mp4`);
          const ac = new AbortController();
          const w = await createMp4Writer({ ...base, output: file, layout, signal: ac.signal, video: { gop } });
          const label = `${layout}, ${stop} at frame ${k}, gop ${gop}`;
          let err: Mp4ForgeError;
          if (stop === 'callback throws') {
            err = await rejection(
              w.addFrames(k + 5, (i, rgba) => {
                if (i === k) throw new Error(`no frame ${i} today`);
                drawPattern('plasma', rgba, W, H, i);
              }),
              label,
            );
            expect(err.code, label).toBe('USER_CALLBACK_FAILED');
            expect(err.details.frameIndex, label).toBe(k);
            expect(err.message, label).toContain(`no frame ${k} today`);
          } else {
            await within(30_000, label, w.addFrames(k, 'plasma'));
            if (stop === 'signal') ac.abort(new Error('user pressed stop'));
            else await within(10_000, `${label}: abort()`, w.abort(new Error('user pressed stop')));
            err = await rejection(w.finish(), `${label}: finish`);
            expect(err.code, label).toBe('ABORTED');
          }
          expect(await rejection(w.finish(), `${label}: finish again`)).toBe(err);
          if (layout !== 'fragmented') {
            expect(existsSync(file), `${label}: a file without its index was left behind`).toBe(false);
            return;
          }
          // Frames reach the muxer in encoder chunks (chunkFramesFor(gop) frames at most), and a
          // fragment is written when the next GOP starts: at most that many frames are not on disk.
          const lag = chunkFramesFor(gop) + gop;
          if (!existsSync(file)) {
            expect(k, `${label}: no fragment was kept`).toBeLessThanOrEqual(lag);
            return;
          }
          const bytes = readFileSync(file);
          assertValidIsoBmff(bytes);
          const [t] = readSampleTables(bytes);
          const whole = t.sampleCount;
          kept.push(`${k}→${whole}`);
          expect(whole % gop, `${label}: ${whole} frames is not whole GOPs`).toBe(0);
          expect(whole, label).toBeGreaterThan(0);
          expect(whole, label).toBeLessThanOrEqual(k);
          expect(whole, label).toBeGreaterThanOrEqual(k - lag);
          // They are exactly the first frames of the same clip written to the end.
          const ref = await referenceClip(gop);
          const [rt] = readSampleTables(ref);
          for (let i = 0; i < whole; i++) {
            const a = bytes.subarray(t.sampleOffsets[i], t.sampleOffsets[i] + t.sizes[i]);
            const b = ref.subarray(rt.sampleOffsets[i], rt.sampleOffsets[i] + rt.sizes[i]);
            expect(Buffer.compare(a, b), `${label}: sample ${i} differs from the complete file's`).toBe(0);
          }
          const probe = await ffprobe(file, { count: true });
          expect(Number(probe.streams[0].nb_read_frames), label).toBe(whole);
          const dec = await ffmpegDecodeCheck(file);
          expect(dec.ok, `${label}: ${dec.stderr}`).toBe(true);
        },
      ),
      { numRuns: 14 },
    );
    console.log(`faults: fragmented files kept (frames added → frames decodable): ${kept.join(', ') || 'none this run'}`);
  });
});

// --- whole processes -----------------------------------------------------------------------------

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function node(args: string[], opts: { stdin?: 'pipe' | 'ignore' } = {}) {
  const child = spawn(process.execPath, args, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], env: { ...process.env, MP4FORGE_DEBUG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => ({ stdout, stderr }) };
}

describe.skipIf(!existsSync(DIST))('whole processes (dist/ build; `npm test` builds it)', () => {
  it('after a failed output the process exits by itself, with no unhandled rejection (Sink, Writable, WritableStream)', async () => {
    // No process.exit: if a timer, stream or worker were left behind, the child would not end.
    const script = `
      import { createMp4Writer } from ${JSON.stringify(DIST)};
      import { Writable } from 'node:stream';
      process.on('unhandledRejection', (r) => { console.log('UNHANDLED ' + r); process.exitCode = 3; });
      const fail = () => Object.assign(new Error('EPIPE: broken pipe'), { code: 'EPIPE' });
      let n = 0;
      const outputs = {
        sink: { write: async (b) => { if ((n += b.length) > 9000) throw fail(); }, close: async () => {}, abort: async () => {} },
        writable: new Writable({ write(c, e, cb) { cb((n += c.length) > 9000 ? fail() : null); } }),
        webstream: new WritableStream({ write(c) { if ((n += c.length) > 9000) throw fail(); } }),
      };
      const results = {};
      for (const [name, output] of Object.entries(outputs)) {
        n = 0;
        const w = await createMp4Writer({ width: 160, height: 96, fps: 30, output, layout: 'progressive', video: { qp: 10, gop: 5 } });
        const rgba = new Uint8Array(160 * 96 * 4);
        let err;
        for (let i = 0; i < 60 && !err; i++) {
          for (let j = 0; j < rgba.length; j++) rgba[j] = (j * 7919 + i * 31) & 255;
          err = await w.addFrame(rgba).then(() => null, (e) => e);
        }
        err ??= await w.finish().then(() => null, (e) => e);
        results[name] = err ? err.code + '/' + err.cause?.code : 'no error';
      }
      console.log(JSON.stringify(results));
    `;
    const p = node(['--input-type=module', '-e', script]);
    const r = await within(60_000, 'child process exit', p.done);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ sink: 'SINK_FAILED/EPIPE', writable: 'SINK_FAILED/EPIPE', webstream: 'SINK_FAILED/EPIPE' });
  });

  it('a WorkerPool left open does not keep the process alive, and its threads keep it alive while they encode', async () => {
    // No close(), no process.exit: the child ends only if the idle threads are unref'd. The second
    // file is written after a 300 ms pause with nothing else pending: lent threads must be ref'd.
    const script = `
      import { createMp4Writer, createWorkerPool } from ${JSON.stringify(DIST)};
      const pool = await createWorkerPool({ workers: 2 });
      const sizes = [];
      for (let k = 0; k < 2; k++) {
        const w = await createMp4Writer({ width: 160, height: 96, fps: 30, output: { buffer: true }, video: { gop: 5 }, workers: pool });
        await w.addFrames(40, 'bars');
        sizes.push((await w.finish()).frames);
        await new Promise((r) => setTimeout(r, 300));
      }
      console.log(JSON.stringify({ sizes, threadsStarted: pool.threadsStarted }));
    `;
    const p = node(['--input-type=module', '-e', script]);
    const r = await within(60_000, 'child process exit', p.done);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ sizes: [40, 40], threadsStarted: 2 });
  });

  describe.skipIf(!existsSync(CLI))('CLI killed or starved mid-way', () => {
    const frame = new Uint8Array(W * H * 4);

    /** The file the CLI is writing: mp4forge's temporary file beside `out` (renamed over it only when complete). */
    function tempOf(out: string): string | undefined {
      const name = readdirSync(dirname(out)).find((f) => f.startsWith(`.${basename(out)}.mp4forge-`) && f.endsWith('.tmp'));
      return name === undefined ? undefined : join(dirname(out), name);
    }

    async function startEncode(out: string, layout: Layout) {
      const p = node([CLI, 'encode', '--width', `${W}`, '--height', `${H}`, '--layout', layout, '--out', out], { stdin: 'pipe' });
      p.child.stdin!.on('error', () => {});
      // Feed frames until the output has real content on disk.
      const size = () => statSync(tempOf(out) ?? out, { throwIfNoEntry: false })?.size ?? 0;
      for (let i = 0; i < 400 && size() <= 20_000; i++) {
        drawPattern('noise', frame, W, H, i);
        if (!p.child.stdin!.write(Buffer.from(frame))) await new Promise((r) => p.child.stdin!.once('drain', r));
      }
      expect(size()).toBeGreaterThan(20_000);
      expect(existsSync(out), 'the output appears only when complete').toBe(false);
      return p;
    }

    it.each(LAYOUTS)('SIGTERM while encoding %s: exit 143, one line, no file (fragmented: complete fragments only)', async (layout) => {
      const out = tmpFile(`cli-term-${layout}.mp4`);
      const p = await startEncode(out, layout);
      p.child.kill('SIGTERM');
      const r = await within(20_000, 'CLI exit after SIGTERM', p.done);
      expect(r.code).toBe(143);
      expect(tempOf(out)).toBeUndefined();
      if (layout !== 'fragmented') {
        expect(r.stderr).toBe(`mp4forge: interrupted by SIGTERM; nothing was written to ${out}\n`);
        expect(existsSync(out), 'a file without its index was left behind').toBe(false);
        return;
      }
      // A fragmented file keeps its complete fragments (the library's abort contract): it must
      // then be a valid file that decodes without error.
      expect(r.stderr).toMatch(/^mp4forge: interrupted by SIGTERM; \S+ keeps the complete fragments written \([\d.]+ kB\)\n$/);
      expect(existsSync(out)).toBe(true);
      assertValidIsoBmff(readFileSync(out));
      const dec = await ffmpegDecodeCheck(out);
      expect(dec.ok, dec.stderr).toBe(true);
    });

    it.each(LAYOUTS)(
      'SIGKILL while encoding %s: no file at the path; the temporary one beside it is unreadable (no moov), or reads up to its fragments',
      async (layout) => {
        const out = tmpFile(`cli-kill-${layout}.mp4`);
        const p = await startEncode(out, layout);
        p.child.kill('SIGKILL');
        const r = await within(20_000, 'CLI exit after SIGKILL', p.done);
        expect(r.signal).toBe('SIGKILL');
        // Nothing could clean up: the path holds nothing, and the one temporary file beside it
        // cannot pass for a whole file. Faststart/progressive: no moov yet, every reader must
        // refuse it. Fragmented: complete fragments and at most one cut one.
        expect(existsSync(out)).toBe(false);
        const temp = tempOf(out) as string;
        expect(basename(temp)).toMatch(new RegExp(`^\\.cli-kill-${layout}\\.mp4\\.mp4forge-${p.child.pid}-[0-9a-f]{8}\\.tmp$`));
        const probe = await run(FFPROBE, ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'json', temp]);
        if (layout === 'fragmented') {
          const frames = Number(JSON.parse(probe.stdout.toString()).streams?.[0]?.nb_read_frames ?? 0);
          expect(frames, probe.stderr).toBeGreaterThan(0);
        } else {
          expect(probe.code, `ffprobe accepted a killed ${layout} file`).not.toBe(0);
          expect(probe.stderr).toMatch(/moov atom not found|Invalid data/);
        }
        rmSync(temp);
      },
    );

    it('stdin cut mid-frame while encoding: the whole frames are kept, exit 3, the bytes dropped named', async () => {
      const out = tmpFile('cli-cut.mp4');
      const p = await startEncode(out, 'faststart');
      p.child.stdin!.end(Buffer.from(frame.subarray(0, 1000)));
      const r = await within(30_000, 'CLI exit after stdin ended', p.done);
      expect(r.code).toBe(3);
      const m = /^mp4forge: wrote cli-cut\.mp4: (\d+) frames, .*\nmp4forge: the input ended inside a frame: after (\d+) whole 160×96 rgba frames \(61440 bytes each\) came 1000 more bytes; kept the (\d+) whole frames in \S+ \(faststart\) and dropped those 1000 bytes\n$/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const n = Number(m?.[1]);
      expect([Number(m?.[2]), Number(m?.[3])]).toEqual([n, n]);
      expect(Number((await ffprobe(out, { count: true })).streams[0].nb_read_frames)).toBe(n);
      expect(tempOf(out)).toBeUndefined();
    });
  });
});
