// FileSink appends behind its caller (src/mux/node-sinks.ts): up to a few writes in flight at
// once. What must still hold: the file holds every append in order, a positioned write or read
// sees every append before it, a failed append is reported (by a later call, at the latest by
// close), and nothing lands after an abort.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { FragmentedMuxer } from '../src/mux/fragmented-muxer.js';
import { FileSink } from '../src/mux/node-sinks.js';
import { MemorySink } from '../src/mux/sink.js';
import { openFileSink } from '../src/platform/io.js';
import { createMp4Writer } from '../src/index.js';
import type { Sink } from '../src/mux/sink.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { VGA_VIDEO_TRACK, vgaSample } from './helpers/mux-tracks.js';
import { rejection } from './helpers/rejection.js';
import { lcg } from './helpers/random.js';
import { tmpFile } from './helpers/render.js';

/** Appends of assorted sizes (1 byte to 64 KiB), each filled from its own seed. */
function pieces(n: number): Uint8Array[] {
  const rnd = lcg(7);
  return Array.from({ length: n }, (_, i) => {
    const p = new Uint8Array(1 + (rnd() % 65536));
    p.fill(i & 0xff);
    p[0] = (i >> 8) & 0xff;
    return p;
  });
}

type Fh = { write(b: Uint8Array, o: number, n: number, pos: number): Promise<{ bytesWritten: number }>; close(): Promise<void> };

/**
 * Slows the sink's file handle down: every write waits `ms` before it is issued (so appends are
 * really in flight when the caller goes on), fails when `fail(call)` says so, and is logged with
 * the time it landed.
 */
function slowHandle(sink: FileSink, ms: number, fail: (call: number) => boolean = () => false): { landed: number[]; calls(): number } {
  const fh = (sink as unknown as { fh: Fh }).fh;
  const real = fh.write.bind(fh);
  const landed: number[] = [];
  let calls = 0;
  fh.write = async (b, o, n, pos) => {
    const call = calls++;
    await new Promise((r) => setTimeout(r, ms));
    if (fail(call)) throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
    const r = await real(b, o, n, pos);
    landed.push(performance.now());
    return r;
  };
  return { landed, calls: () => calls };
}

describe('FileSink: appends written behind the caller', () => {
  it('the file holds every append in order, and readAt and writeAt see all of them', async () => {
    const path = tmpFile('file-sink-order.bin');
    const sink = await FileSink.open(path);
    slowHandle(sink, 2);
    const parts = pieces(200);
    for (const p of parts) await sink.write(p);
    const total = parts.reduce((n, p) => n + p.length, 0);
    // read back the last append at once: every append before it has to have landed
    const last = parts[parts.length - 1];
    const back = new Uint8Array(last.length);
    expect(await sink.readAt(back, total - last.length)).toBe(last.length);
    expect(Buffer.from(back).equals(Buffer.from(last))).toBe(true);
    // a positioned write after appends in flight is not overtaken by them
    for (const p of pieces(20)) await sink.write(p);
    await sink.writeAt(new Uint8Array([0xab, 0xcd]), 0);
    await sink.close();
    const file = readFileSync(path);
    const expected = Buffer.concat([...parts, ...pieces(20)]);
    expected[0] = 0xab;
    expected[1] = 0xcd;
    expect(file.length).toBe(expected.length);
    expect(file.equals(expected)).toBe(true);
  });

  it('an append that fails is reported: by a later write, or at the latest by close', async () => {
    const parts = pieces(40);
    // the failing append among the first (a later write reports it), among the last few (a later
    // write or close), or the last (close)
    for (const failAt of [0, 3, 30, 38, 39]) {
      const path = tmpFile(`file-sink-fail-${failAt}.bin`);
      const sink = await FileSink.open(path);
      slowHandle(sink, 1, (call) => call === failAt);
      let failed: unknown = null;
      for (let i = 0; i < parts.length && !failed; i++) await sink.write(parts[i]).catch((e: unknown) => (failed = e));
      const closed = failed ? null : await rejection(sink.close());
      const err = (failed as { code?: string; message?: string } | null) ?? closed;
      expect(err, `failAt ${failAt}`).not.toBeNull();
      expect(err?.code).toBe('SINK_FAILED');
      expect(err?.message).toBe('Writing the output failed: injected EIO');
      // the last append: no write comes after it, so only close can report it
      if (failAt === 39) expect(failed, 'only close could report it').toBeNull();
      await sink.abort(err, true);
      expect(existsSync(path)).toBe(false);
    }
  });

  it('nothing lands after an abort with appends in flight: the incomplete file is gone, a complete one cut', async () => {
    const gone = tmpFile('file-sink-abort.bin');
    const a = await FileSink.open(gone);
    const la = slowHandle(a, 5);
    for (const p of pieces(50)) await a.write(p);
    await a.abort(new Error('stop'), true);
    const abortedA = performance.now();
    expect(existsSync(gone)).toBe(false);

    const cut = tmpFile('file-sink-cut.bin');
    const b = await FileSink.open(cut);
    const lb = slowHandle(b, 5);
    const parts = pieces(50);
    for (const p of parts) await b.write(p);
    const keep = parts.slice(0, 10).reduce((n, p) => n + p.length, 0);
    await b.abort(new Error('stop'), false, keep);
    const abortedB = performance.now();
    expect(readFileSync(cut).equals(Buffer.concat(parts.slice(0, 10)))).toBe(true);
    // appends still in flight at the abort would land (or be issued) after it: wait, then check
    await new Promise((r) => setTimeout(r, 60));
    expect(la.landed.filter((t) => t > abortedA)).toEqual([]);
    expect(lb.landed.filter((t) => t > abortedB)).toEqual([]);
    expect(la.landed.length).toBe(50);
    await expect(b.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'SINK_FAILED' });
    await expect(b.writeAt(new Uint8Array(1), 0)).rejects.toMatchObject({ code: 'SINK_FAILED', message: 'Writing the output failed: the output was aborted' });
  });

  it('a fragmented file keeps only fragments whose bytes are all in it, when an append fails behind the muxer', async () => {
    const tracks = [VGA_VIDEO_TRACK];
    const reference = new MemorySink();
    const whole = new FragmentedMuxer({ sink: reference, tracks });
    for (let i = 0; i < 40; i++) await whole.addSample(0, vgaSample(i));
    await whole.finish();
    // appends: ftyp+moov, then per fragment moof, mdat header and its samples; fail one late in the
    // second fragment, whose writes have all returned by the time it goes out
    for (const failAt of [14, 16, 20]) {
      const out = tmpFile(`file-sink-frag-${failAt}.mp4`);
      const sink = await openFileSink(out);
      slowHandle((sink as unknown as { file: FileSink }).file, 1, (call) => call === failAt);
      const muxer = new FragmentedMuxer({ sink, tracks });
      let failed: unknown = null;
      for (let i = 0; i < 40 && !failed; i++) await muxer.addSample(0, vgaSample(i)).catch((e: unknown) => (failed = e));
      if (!failed) await muxer.finish().catch((e: unknown) => (failed = e));
      expect(failed, `failAt ${failAt}`).toMatchObject({ code: 'SINK_FAILED' });
      // what the writer does on a failure: the muxer aborts, keeping its complete fragments
      await muxer.abort(failed);
      const kept = readFileSync(out);
      assertValidIsoBmff(kept);
      // the first fragment at least, and only whole fragments, each the same bytes as in the finished file
      expect(Buffer.from(reference.data().subarray(0, kept.length)).equals(kept), `failAt ${failAt}`).toBe(true);
      expect(assertValidIsoBmff(kept).boxes.map((b) => b.type).slice(0, 4)).toEqual(['ftyp', 'moov', 'moof', 'mdat']);
    }
  });
});

describe("a caller's own Sink that writes behind (Sink.settle)", () => {
  /** A sink that records its bytes and, at each settle(), how many it had then; settle can fail. */
  function userSink(failSettle: boolean): Sink & { bytes: number; settledAt: number[] } {
    const sink = {
      bytes: 0,
      settledAt: [] as number[],
      write(b: Uint8Array) {
        sink.bytes += b.length;
        return Promise.resolve();
      },
      settle() {
        sink.settledAt.push(sink.bytes);
        return failSettle ? Promise.reject(new Error('disk gone')) : Promise.resolve();
      },
      close: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
    return sink;
  }
  const frame = new Uint8Array(64 * 64 * 4);

  it('is settled after each fragment, through createMp4Writer, and a failing settle is SINK_FAILED', async () => {
    const ok = userSink(false);
    const w = await createMp4Writer({ width: 64, height: 64, fps: 30, layout: 'fragmented', output: ok });
    for (let i = 0; i < 70; i++) await w.addFrame(frame);
    const r = await w.finish();
    expect(ok.settledAt.length).toBeGreaterThan(0);
    // each settle comes after its fragment's bytes were handed over, and in order
    expect(ok.settledAt.every((n, i) => n > 0 && (i === 0 || n > ok.settledAt[i - 1]))).toBe(true);
    expect(ok.settledAt[ok.settledAt.length - 1]).toBeLessThanOrEqual(r.bytes);

    const bad = userSink(true);
    const w2 = await createMp4Writer({ width: 64, height: 64, fps: 30, layout: 'fragmented', output: bad });
    const err = await rejection((async () => {
      for (let i = 0; i < 70; i++) await w2.addFrame(frame);
      await w2.finish();
    })());
    expect(err.code).toBe('SINK_FAILED');
    expect(bad.settledAt.length).toBeGreaterThan(0);
  });
});
