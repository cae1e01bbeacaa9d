// Bad input gets an Mp4ForgeError with a stable code and a message naming what was expected;
// outputs are closed and nothing hangs.
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, type Mp4ForgeWarning, type Mp4WriterOptions, type Sink } from '../src/index.js';
import { QUEUED_FRAMES_WARNING } from '../src/writer.js';
import { drawPattern } from '../src/generate/patterns.js';
import { bytesPerFrame } from '../src/encode/convert.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { rejection } from './helpers/rejection.js';

const base: Mp4WriterOptions = { width: 160, height: 96, fps: 30, output: { buffer: true } };

describe('option validation', () => {
  it.each([
    [{ width: 161 }, 'INVALID_DIMENSIONS', /even/],
    [{ width: 0 }, 'INVALID_DIMENSIONS', /positive even integer/],
    [{ height: -2 }, 'INVALID_DIMENSIONS', /positive even integer/],
    [{ width: 8192, height: 4320 }, 'INVALID_DIMENSIONS', /at most 4096/],
    [{ width: 4096, height: 4096 }, 'INVALID_DIMENSIONS', /macroblocks/],
    [{ fps: 0 }, 'INVALID_OPTION', /fps/],
    [{ fps: 29.97 }, 'INVALID_OPTION', /30000\/1001/],
    [{ fps: { num: 30000, den: 0 } }, 'INVALID_OPTION', /fps/],
    [{ video: { qp: 5, encoder: 'h264-mp4-encoder' } }, 'INVALID_OPTION', /video\.qp must be an integer from 10 to 51 with h264-mp4-encoder, got 5/],
    [{ video: { qp: 52 } }, 'INVALID_OPTION', /video\.qp must be an integer from 0 to 51, got 52/],
    [{ video: { speed: 11 } }, 'INVALID_OPTION', /video\.speed/],
    [{ video: { gop: 0 } }, 'INVALID_OPTION', /video\.gop/],
    [{ video: { qp: 20, kbps: 1000 } }, 'INVALID_OPTION', /exclusive/],
    [{ video: { bitrate: 3 } }, 'INVALID_OPTION', /video\.bitrate is not an option/],
    [{ layout: 'moov-last' }, 'INVALID_OPTION', /layout/],
    [{ output: 42 }, 'INVALID_OPTION', /output must be/],
    [{ pixelFormat: 'nv12' }, 'INVALID_OPTION', /pixelFormat/],
  ])('%j → %s', async (patch, code, message) => {
    const err = await rejection(createMp4Writer({ ...base, ...(patch as object) }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('accepts the largest legal size, 4096×2304, and odd-multiple sizes like 322×242', async () => {
    for (const [width, height] of [[4096, 2304], [322, 242], [2, 2]]) {
      const w = await createMp4Writer({ ...base, width, height });
      await w.abort();
    }
  });
});

describe('frame errors and lifecycle', () => {
  it('rejects a wrong buffer length with INVALID_FRAME and the frame index, and keeps working', async () => {
    const w = await createMp4Writer(base);
    const err = await rejection(w.addFrame(new Uint8Array(10)));
    expect(err.code).toBe('INVALID_FRAME');
    expect(err.message).toMatch(/needs exactly 61440/);
    expect(err.details.frameIndex).toBe(0);
    await rejection(w.addFrame({ data: new Uint8Array(4 * 4 * 4), width: 4, height: 4 }));
    await rejection(w.addFrame('pixels' as unknown as Uint8Array));
    // a bad frame does not poison the writer
    await w.addFrame(new Uint8Array(160 * 96 * 4));
    const r = await w.finish();
    expect(r.frames).toBe(1);
  });

  // Issue 14 item 16: a frame a few bytes short or long must never pass with stale or ignored bytes.
  it('every pixelFormat: frameBytes ± 1 and ± 4 is a rejected promise (never a synchronous throw) with INVALID_FRAME and the frame index', async () => {
    for (const pixelFormat of ['rgba', 'bgra', 'rgb24', 'yuv420p'] as const) {
      const w = await createMp4Writer({ ...base, pixelFormat });
      const exact = bytesPerFrame(pixelFormat, base.width, base.height);
      await w.addFrame(new Uint8Array(exact)); // frame 0 is good
      for (const delta of [-4, -1, 1, 4]) {
        let pending: Promise<void> | undefined;
        expect(() => (pending = w.addFrame(new Uint8Array(exact + delta))), `${pixelFormat} ${delta}`).not.toThrow();
        const err = await rejection(pending!);
        expect(err.code, `${pixelFormat} ${delta}`).toBe('INVALID_FRAME');
        expect(err.message).toContain(`needs exactly ${exact}`);
        expect(err.details.frameIndex).toBe(1);
      }
      await w.addFrame(new Uint8Array(exact));
      expect((await w.finish()).frames).toBe(2);
    }
  });

  it('addFrame after finish and finish twice reject with WRITER_CLOSED', async () => {
    const w = await createMp4Writer(base);
    await w.addFrame(new Uint8Array(160 * 96 * 4));
    await w.finish();
    expect((await rejection(w.addFrame(new Uint8Array(160 * 96 * 4)))).code).toBe('WRITER_CLOSED');
    expect((await rejection(w.finish())).code).toBe('WRITER_CLOSED');
  });

  it('finish without frames is an error, not an empty file', async () => {
    const w = await createMp4Writer(base);
    const err = await rejection(w.finish());
    expect(err.message).toMatch(/at least one frame/);
  });

  it('unawaited addFrame calls keep their own frame contents', async () => {
    const w = await createMp4Writer({ ...base, video: { qp: 10 } });
    const rgba = new Uint8Array(160 * 96 * 4);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      drawPattern('bars', rgba, 160, 96, i);
      pending.push(w.addFrame(rgba)); // not awaited; the buffer is overwritten at once
    }
    await Promise.all(pending);
    const r = await w.finish();
    const file = tmpFile('unawaited.mp4');
    (await import('node:fs')).writeFileSync(file, r.data as Uint8Array);
    const { decodeRgbFrames } = await import('./helpers/oracles.js');
    const { readBarsCounter } = await import('../src/generate/bars.js');
    const frames = await decodeRgbFrames(file, 160, 96);
    expect(frames.map((f) => readBarsCounter(f, 3, 160, 96))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('addFrame without await (item 9: warned once, through onWarning)', () => {
  it(`more than ${QUEUED_FRAMES_WARNING} frames waiting: one FRAMES_QUEUED warning, and every frame is still encoded`, async () => {
    const warnings: Mp4ForgeWarning[] = [];
    const w = await createMp4Writer({ ...base, onWarning: (x) => warnings.push(x) });
    const rgba = new Uint8Array(160 * 96 * 4);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) pending.push(w.addFrame(rgba));
    expect(warnings).toHaveLength(1); // at once, from the addFrame that queued one too many
    const [warning] = warnings;
    expect(warning.code).toBe('FRAMES_QUEUED');
    expect(warning.details).toEqual({ frameIndex: QUEUED_FRAMES_WARNING, queuedFrames: QUEUED_FRAMES_WARNING + 1 });
    expect(warning.message).toMatch(new RegExp(`^${QUEUED_FRAMES_WARNING + 1} frames are waiting in the writer, [\\d.]+ MB of pixels: .*await each addFrame`));
    await Promise.all(pending);
    for (let i = 0; i < 100; i++) pending.push(w.addFrame(rgba)); // again: still one warning per writer
    await Promise.all(pending);
    expect((await w.finish()).frames).toBe(200);
    expect(warnings).toHaveLength(1);
  });

  it('awaited frames (in-process or with workers) and small unawaited batches warn of nothing; a throwing onWarning does not fail the file', async () => {
    for (const workers of [0, 2]) {
      const warnings: Mp4ForgeWarning[] = [];
      const w = await createMp4Writer({ ...base, workers, video: { gop: 8 }, onWarning: (x) => warnings.push(x) });
      const rgba = new Uint8Array(160 * 96 * 4);
      for (let i = 0; i < 80; i++) await w.addFrame(rgba);
      await Promise.all(Array.from({ length: QUEUED_FRAMES_WARNING }, () => w.addFrame(rgba)));
      expect((await w.finish()).frames).toBe(80 + QUEUED_FRAMES_WARNING);
      expect(warnings, `workers ${workers}`).toEqual([]);
    }
    const w = await createMp4Writer({ ...base, onWarning: () => { throw new Error('handler bug'); } });
    await Promise.all(Array.from({ length: 50 }, () => w.addFrame(new Uint8Array(160 * 96 * 4))));
    expect((await w.finish()).frames).toBe(50);
    expect((await rejection(createMp4Writer({ ...base, onWarning: 'print' as unknown as () => void }))).message).toBe(
      'onWarning must be a function, got "print"',
    );
  });
});

describe('abort', () => {
  it('an already-aborted signal rejects creation with ABORTED', async () => {
    const err = await rejection(createMp4Writer({ ...base, signal: AbortSignal.abort(new Error('user cancelled')) }));
    expect(err.code).toBe('ABORTED');
    expect(err.message).toMatch(/user cancelled/);
  });

  it('aborting a faststart file mid-way rejects, and removes the file that would have no index', async () => {
    const file = tmpFile('aborted-faststart.mp4');
    const ac = new AbortController();
    const w = await createMp4Writer({ ...base, output: file, signal: ac.signal });
    const rgba = new Uint8Array(160 * 96 * 4);
    for (let i = 0; i < 40; i++) await w.addFrame(rgba);
    ac.abort(new Error('stop'));
    const err = await rejection(w.addFrame(rgba));
    expect(err.code).toBe('ABORTED');
    expect((await rejection(w.finish())).code).toBe('ABORTED');
    expect(existsSync(file)).toBe(false);
  });

  it('aborting a fragmented file keeps every complete fragment decodable', async () => {
    const file = tmpFile('aborted-fragmented.mp4');
    const ac = new AbortController();
    const w = await createMp4Writer({ ...base, output: file, layout: 'fragmented', signal: ac.signal, video: { gop: 10 } });
    const rgba = new Uint8Array(160 * 96 * 4);
    for (let i = 0; i < 35; i++) {
      drawPattern('plasma', rgba, 160, 96, i);
      await w.addFrame(rgba);
    }
    ac.abort();
    await rejection(w.finish());
    const bytes = readFileSync(file);
    assertValidIsoBmff(bytes);
    const probe = await ffprobe(file, { count: true });
    // GOPs of 10: three complete fragments (30 frames) were written before the abort.
    expect(Number(probe.streams[0].nb_read_frames)).toBe(30);
    expect((await ffmpegDecodeCheck(file)).ok).toBe(true);
  });
});

describe('abort before the first fragment', () => {
  it('removes a fragmented file that has no complete fragment yet', async () => {
    const file = tmpFile('aborted-fragmented-early.mp4');
    const w = await createMp4Writer({ ...base, output: file, layout: 'fragmented', video: { gop: 30 } });
    for (let i = 0; i < 5; i++) await w.addFrame(new Uint8Array(160 * 96 * 4));
    await w.abort();
    expect(existsSync(file)).toBe(false);
  });
});

describe('failing and slow sinks', () => {
  class FailingSink implements Sink {
    written = 0;
    closed = false;
    aborted = false;
    constructor(private readonly failAfter: number, private readonly code: string) {}
    async write(bytes: Uint8Array): Promise<void> {
      if (this.written + bytes.length > this.failAfter) {
        const e = new Error(`${this.code}: disk full`) as NodeJS.ErrnoException;
        e.code = this.code;
        throw e;
      }
      this.written += bytes.length;
    }
    async close(): Promise<void> {
      this.closed = true;
    }
    async abort(): Promise<void> {
      this.aborted = true;
    }
  }

  it.each(['ENOSPC', 'EPIPE'])('a sink failing with %s rejects with SINK_FAILED, keeps the cause, aborts the sink', async (code) => {
    for (const layout of ['progressive', 'fragmented'] as const) {
      const sink = new FailingSink(20_000, code);
      const w = await createMp4Writer({ ...base, output: sink, layout, video: { qp: 10, gop: 5 } });
      const rgba = new Uint8Array(160 * 96 * 4);
      let err: Mp4ForgeError | undefined;
      for (let i = 0; i < 200 && !err; i++) {
        drawPattern('noise', rgba, 160, 96, i);
        err = await w.addFrame(rgba).then(() => undefined, (e: Mp4ForgeError) => e);
      }
      err ??= await rejection(w.finish());
      expect(err.code).toBe('SINK_FAILED');
      expect(((err.cause as NodeJS.ErrnoException) ?? {}).code).toBe(code);
      expect(sink.aborted).toBe(true);
      expect((await rejection(w.finish())).code).toBe('SINK_FAILED');
    }
  });

  it('a Node Writable that errors rejects cleanly', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE: broken pipe'));
      },
    });
    const w = await createMp4Writer({ ...base, output: stream, layout: 'progressive', video: { gop: 2 } });
    const rgba = new Uint8Array(160 * 96 * 4);
    let err: unknown;
    for (let i = 0; i < 100 && !err; i++) err = await w.addFrame(rgba).then(() => undefined, (e) => e);
    err ??= await w.finish().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(Mp4ForgeError);
    expect((err as Mp4ForgeError).code).toBe('SINK_FAILED');
  });

  it('a slow Node Writable applies backpressure and the output is complete', async () => {
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        setTimeout(cb, 2);
      },
    });
    const w = await createMp4Writer({ ...base, output: slow, layout: 'fragmented', video: { gop: 5 } });
    const rgba = new Uint8Array(160 * 96 * 4);
    for (let i = 0; i < 20; i++) {
      drawPattern('plasma', rgba, 160, 96, i);
      await w.addFrame(rgba);
    }
    const r = await w.finish();
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(r.bytes);
    assertValidIsoBmff(bytes);
  });
});

describe('other outputs', () => {
  it('WHATWG WritableStream and Node PassThrough receive a valid faststart file (via spool)', async () => {
    const got: Uint8Array[] = [];
    const ws = new WritableStream<Uint8Array>({ write: (c) => void got.push(c) });
    const w1 = await createMp4Writer({ ...base, output: ws, video: { gop: 5 } });
    const pass = new PassThrough();
    const passChunks: Buffer[] = [];
    pass.on('data', (c: Buffer) => passChunks.push(c));
    const w2 = await createMp4Writer({ ...base, output: pass, video: { gop: 5 } });
    const rgba = new Uint8Array(160 * 96 * 4);
    for (let i = 0; i < 12; i++) {
      drawPattern('gradient', rgba, 160, 96, i);
      await w1.addFrame(rgba);
      await w2.addFrame(rgba);
    }
    const r1 = await w1.finish();
    const r2 = await w2.finish();
    const a = Buffer.concat(got);
    const b = Buffer.concat(passChunks);
    expect(a.length).toBe(r1.bytes);
    expect(b.length).toBe(r2.bytes);
    expect(a.equals(b)).toBe(true);
    expect(a.indexOf('moov')).toBeLessThan(a.indexOf('mdat'));
    assertValidIsoBmff(a);
  });
});
