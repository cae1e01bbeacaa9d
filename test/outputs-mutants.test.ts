// The output side checked against what it must do, not how (the eleventh mutation pass): every
// output form gets the same bytes as `{ buffer: true }`, a user's Sink and stream see what the
// contract promises (writeAt used, completeBytes given, abort passed on, errors reported), and
// refusals carry their codes.
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { getEventListeners } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, type Layout, type Sink } from '../src/index.js';
import { drawPattern } from '../src/generate/patterns.js';
import { Mp4Muxer } from '../src/mux/mp4-muxer.js';
import { NodeWritableSink } from '../src/mux/node-sinks.js';
import { MemorySink, WebStreamSink } from '../src/mux/sink.js';
import { removeTempFilesSync } from '../src/platform/file-output.js';
import { closest } from '../src/did-you-mean.js';
import { webStreamChunks } from '../src/web-stream.js';
import { cutFrames } from '../src/cut-frames.js';
import type { TrackInfo } from '../src/mux/types.js';
import { VGA_VIDEO_TRACK } from './helpers/mux-tracks.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { ffmpegDecodeCheck } from './helpers/oracles.js';
import { rejection } from './helpers/rejection.js';
import { tmpFile } from './helpers/render.js';

const W = 160;
const H = 96;
const base = { width: W, height: H, fps: 30, video: { gop: 4 } } as const;

async function frames(writer: { addFrame(f: Uint8Array): Promise<void> }, n: number): Promise<void> {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < n; i++) {
    drawPattern('plasma', rgba, W, H, i);
    await writer.addFrame(rgba);
  }
}

async function reference(layout: Layout, n: number): Promise<Buffer> {
  const w = await createMp4Writer({ ...base, layout, output: { buffer: true } });
  await frames(w, n);
  return Buffer.from((await w.finish()).data as Uint8Array);
}

/** A seekable Sink in memory that records how it was used. */
function memorySink(): Sink & { bytes: () => Buffer; writeAts: number; readAts: number; aborted: unknown[] } {
  let buf = Buffer.alloc(0);
  const put = (b: Uint8Array, p: number) => {
    if (p + b.length > buf.length) buf = Buffer.concat([buf, Buffer.alloc(p + b.length - buf.length)]);
    buf.set(b, p);
  };
  const s = {
    writeAts: 0,
    readAts: 0,
    aborted: [] as unknown[],
    bytes: () => buf,
    write: async (b: Uint8Array) => put(b, buf.length),
    writeAt: async (b: Uint8Array, p: number) => {
      s.writeAts++;
      put(b, p);
    },
    readAt: async (into: Uint8Array, p: number) => {
      s.readAts++;
      const part = buf.subarray(p, p + into.length);
      into.set(part);
      return part.length;
    },
    close: async () => undefined,
    abort: async (...args: unknown[]) => void s.aborted.push(args),
  };
  return s;
}

describe('outputs (mutation pass 11)', () => {
  it('output: { buffer: false } is refused with INVALID_OPTION naming output.buffer', async () => {
    const err = await rejection(createMp4Writer({ ...base, output: { buffer: false } as unknown as { buffer: true } }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.details).toMatchObject({ option: 'output.buffer' });
    expect(err.message).toMatch(/^output\.buffer must be true, got false/);
  });

  it("faststart on a user's seekable Sink moves the data in place through its writeAt/readAt: the same bytes as a buffer", async () => {
    const want = await reference('faststart', 12);
    const sink = memorySink();
    const w = await createMp4Writer({ ...base, layout: 'faststart', output: sink });
    await frames(w, 12);
    const r = await w.finish();
    expect(sink.bytes().equals(want)).toBe(true);
    expect(r.bytes).toBe(want.length);
    expect(sink.writeAts).toBeGreaterThan(0);
    expect(sink.readAts).toBeGreaterThan(0);
  });

  it("an aborted fragmented file on a user's Sink: abort() gets completeBytes, the end of the last whole fragment", async () => {
    const sink = memorySink();
    const w = await createMp4Writer({ ...base, layout: 'fragmented', output: sink });
    await frames(w, 14);
    await w.abort();
    expect(sink.aborted.length).toBe(1);
    const [, incomplete, completeBytes] = sink.aborted[0] as [unknown, boolean, number | undefined];
    expect(incomplete).toBe(false);
    expect(typeof completeBytes).toBe('number');
    const kept = sink.bytes().subarray(0, completeBytes);
    const boxes = assertValidIsoBmff(kept).boxes.map((b) => b.type);
    expect(boxes.slice(0, 2)).toEqual(['ftyp', 'moov']);
    expect(boxes.filter((t) => t === 'moof').length).toBeGreaterThanOrEqual(2);
    const path = tmpFile('pass11-kept.mp4');
    writeFileSync(path, kept);
    expect(await ffmpegDecodeCheck(path)).toEqual({ ok: true, stderr: '' });
  });

  it("an Mp4ForgeError thrown by a user's Sink reaches the caller as it is, not wrapped again", async () => {
    const own = new Mp4ForgeError('SINK_FAILED', 'quota of the bucket reached');
    const sink = { ...memorySink(), write: async () => Promise.reject(own) };
    const w = await createMp4Writer({ ...base, layout: 'progressive', output: sink });
    let err: unknown;
    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < 40 && !err; i++) err = await w.addFrame(rgba).then(() => undefined, (e: unknown) => e);
    err ??= await w.finish().then(() => undefined, (e: unknown) => e);
    expect(err).toBe(own);
    expect((err as Mp4ForgeError).message).toBe('quota of the bucket reached');
  });

  it('a WritableStream: abort() aborts the stream with the reason, and an error from its close() fails finish() with SINK_FAILED', async () => {
    const reasons: unknown[] = [];
    const ws = new WritableStream<Uint8Array>({ write: () => undefined, abort: (r) => void reasons.push(r) });
    const w = await createMp4Writer({ ...base, layout: 'fragmented', output: ws });
    await frames(w, 6);
    await w.abort();
    expect(reasons.length).toBe(1);
    expect(reasons[0]).toBeInstanceOf(Mp4ForgeError);
    expect((reasons[0] as Mp4ForgeError).code).toBe('ABORTED');

    const failing = new WritableStream<Uint8Array>({
      write: () => undefined,
      close: () => {
        throw new Error('the upload was refused at its end');
      },
    });
    const w2 = await createMp4Writer({ ...base, layout: 'fragmented', output: failing });
    await frames(w2, 6);
    const err = await rejection(w2.finish());
    expect(err.code).toBe('SINK_FAILED');
    expect(err.message).toMatch(/the upload was refused at its end/);
  });
});


/** A faststart file of 40 distinct samples through `sink`, its media replayed from a spool in blocks of 1 KiB. */
async function muxSpooled(sink: Sink): Promise<void> {
  const tracks: TrackInfo[] = [VGA_VIDEO_TRACK];
  const mux = new Mp4Muxer({ layout: 'faststart', sink, tracks, moveBlockBytes: 1024, openSpool: async () => new MemorySink() });
  for (let i = 0; i < 40; i++) {
    const b = new Uint8Array(700 + 13 * i).fill(i + 1);
    new DataView(b.buffer).setUint32(0, b.length - 4);
    b[4] = i % 8 === 0 ? 0x65 : 0x41;
    await mux.addSample(0, { data: b, duration: 1001, sync: i % 8 === 0 });
  }
  await mux.finish();
}

describe('streams keep what they were given (mutation pass 11)', () => {
  it('a WritableStream and a Node Writable that hold on to every chunk get the same bytes as a buffer, though the muxer reuses its block', async () => {
    const memory = new MemorySink();
    await muxSpooled(memory);
    const want = Buffer.from(memory.data());

    const held: Uint8Array[] = [];
    await muxSpooled(new WebStreamSink(new WritableStream<Uint8Array>({ write: (c) => void held.push(c) })));
    expect(Buffer.concat(held).equals(want)).toBe(true);

    const kept: Buffer[] = [];
    // A slow Writable queues chunks it has not taken yet, as a socket or a file stream does.
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        kept.push(chunk);
        setImmediate(cb);
      },
    });
    const sink = new NodeWritableSink(slow);
    await muxSpooled(sink);
    expect(Buffer.concat(kept).equals(want)).toBe(true);
  });
});

describe('Node Writable outputs (mutation pass 11)', () => {
  it("a Writable that fails: the writer's error is SINK_FAILED with the stream's own error as cause and in the message", async () => {
    const broken = new Error('EPIPE: broken pipe (pass 11)');
    const stream = new Writable({
      highWaterMark: 1 << 24,
      // Taken at once (write() returns true), failed later: the error comes while mp4forge is not waiting on the stream.
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(broken));
      },
    });
    const w = await createMp4Writer({ ...base, output: stream, layout: 'fragmented' });
    const rgba = new Uint8Array(W * H * 4);
    let err: unknown;
    for (let i = 0; i < 60 && !err; i++) {
      drawPattern('plasma', rgba, W, H, i);
      err = await w.addFrame(rgba).then(() => undefined, (e: unknown) => e);
      await new Promise((r) => setImmediate(r)); // lets the stream fail between two writes
    }
    err ??= await w.finish().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Mp4ForgeError);
    expect((err as Mp4ForgeError).code).toBe('SINK_FAILED');
    expect((err as Mp4ForgeError).message).toMatch(/EPIPE: broken pipe \(pass 11\)/);
    expect((err as Mp4ForgeError).cause).toBe(broken);
  });

  it('a Writable that fails as it is ended: finish() is SINK_FAILED with its error, and the error event is no uncaught exception', async () => {
    // Before the fix, close() took its listener off in end()'s callback, which comes before the
    // 'error' event: the event then had no listener and threw (vitest reports it and fails the run).
    const broken = new Error('EPIPE at the end (pass 11)');
    const stream = new Writable({
      write: (_c, _e, cb) => cb(),
      final(cb) {
        setImmediate(() => cb(broken));
      },
    });
    const w = await createMp4Writer({ ...base, output: stream, layout: 'fragmented' });
    await frames(w, 6);
    const err = await rejection(w.finish());
    expect(err.code).toBe('SINK_FAILED');
    expect(err.cause).toBe(broken);
    await new Promise((r) => setTimeout(r, 20));
    expect(stream.destroyed).toBe(true);
  });

  it('abort() destroys the Writable with an error', async () => {
    const stream = new Writable({ write: (_c, _e, cb) => cb() });
    const w = await createMp4Writer({ ...base, output: stream, layout: 'fragmented' });
    await frames(w, 6);
    await w.abort();
    expect(stream.destroyed).toBe(true);
    expect(stream.errored).toBeInstanceOf(Error);
  });
});

describe('file outputs (mutation pass 11)', () => {
  it("removeTempFilesSync (a forced exit's cleanup) removes the temporary file and the exit listener with it", async () => {
    const before = process.listenerCount('exit');
    const out = tmpFile('pass11-forced.mp4');
    const w = await createMp4Writer({ ...base, layout: 'progressive', output: out });
    await frames(w, 2);
    expect(process.listenerCount('exit')).toBe(before + 1);
    const removed = removeTempFilesSync();
    expect(removed.length).toBe(1);
    expect(basename(removed[0])).toMatch(/^\.pass11-forced\.mp4\.mp4forge-/);
    expect(readdirSync(dirname(out)).filter((f) => f.startsWith('.pass11-forced.mp4.mp4forge-'))).toEqual([]);
    expect(process.listenerCount('exit')).toBe(before);
    await w.abort();
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('did-you-mean (mutation pass 11)', () => {
  it('at most one edit per three characters of the word, never more than two; case is ignored', () => {
    // 4 characters: one edit at most ('wdth' is one deletion from width, 'wdht' two).
    expect(closest('wdth', ['width'])).toBe('width');
    expect(closest('wdht', ['width'])).toBe(null);
    // 5 characters: still one ('widht' is a swap, one edit).
    expect(closest('widht', ['width'])).toBe('width');
    expect(closest('wdiht', ['width'])).toBe(null);
    // 6 characters: two.
    expect(closest('sconds', ['seconds'])).toBe('seconds');
    expect(closest('secnodss', ['seconds'])).toBe('seconds');
    // 9 or more: still two, never three.
    expect(closest('frequncis', ['frequencies'])).toBe('frequencies');
    expect(closest('frqunciess', ['frequencies'])).toBe(null);
    expect(closest('WIDHT', ['width'])).toBe('width');
    expect(closest('Widht', ['Width'])).toBe('Width');
  });
});

describe('input streams (mutation pass 11)', () => {
  it('webStreamChunks: stopping early cancels the stream and releases it; reading to the end cancels nothing', async () => {
    let cancelled = 0;
    const source = (n: number) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < n; i++) c.enqueue(new Uint8Array(10).fill(i));
          if (n < 5) c.close();
        },
        cancel() {
          cancelled++;
        },
      });
    const early = source(5);
    for await (const chunk of webStreamChunks(early)) {
      expect(chunk[0]).toBe(0);
      break;
    }
    expect(cancelled).toBe(1);
    expect(early.locked).toBe(false);

    const whole = source(3);
    let n = 0;
    for await (const chunk of webStreamChunks(whole)) expect(chunk[0]).toBe(n++);
    expect(n).toBe(3);
    expect(cancelled).toBe(1);
    expect(whole.locked).toBe(false);
  });

  it("cutFrames takes its listener off the caller's signal when done, ended or stopped early", async () => {
    const ac = new AbortController();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) yield new Uint8Array(7).fill(i);
    }
    const all = cutFrames(chunks(), 4, ac.signal);
    let r = await all.next();
    expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    while (!r.done) r = await all.next();
    expect(r.value).toEqual({ frames: 7, bytes: 28, leftover: 0 });
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);

    const early = cutFrames(chunks(), 4, ac.signal);
    await early.next();
    await early.return({ frames: 0, bytes: 0, leftover: 0 });
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
  });
});
