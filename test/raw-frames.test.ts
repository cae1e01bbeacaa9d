// readRawFrames (src/raw-frames.ts): raw frames cut out of a pipe, a file, a ReadableStream or an
// async iterable. Pipes are real FIFOs (mkfifo) read by the reader thread of
// src/platform/pipe-frames.ts; every frame is checked against the bytes written.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cutFrames, type RawFramesRead } from '../src/cut-frames.js';
import { isPipe, readPipeFrames } from '../src/platform/pipe-frames.js';
import { readRawFrames } from '../src/index.js';
import { rejection } from './helpers/rejection.js';
import { tempDir } from './helpers/temp.js';
import { lcg } from './helpers/random.js';

const dir = tempDir('raw-frames-');
let fifos = 0;

/** A FIFO's read end (non-blocking, for libuv) and its write end, as a producer holds it. */
async function fifo() {
  const path = join(dir, `fifo-${fifos++}`);
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // first: opening the write end waits for a reader
  const writer = await openFile(path, 'w');
  return { path, fd, writer };
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every frame of `gen` (copied), and what it returned. */
async function drain(gen: AsyncGenerator<Uint8Array, RawFramesRead, undefined>): Promise<{ frames: number[][]; read: RawFramesRead }> {
  const frames: number[][] = [];
  let r: IteratorResult<Uint8Array, RawFramesRead>;
  while (!(r = await gen.next()).done) frames.push([...r.value]);
  return { frames, read: r.value };
}

describe('cutFrames', () => {
  async function* from(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield c;
  }

  it('yields exact frames across any chunking, as views when a frame lies inside a chunk', async () => {
    const size = 10;
    const data = Uint8Array.from({ length: 57 + 3 }, (_, i) => i);
    const cases = [[60], [1, 59], [9, 11, 10, 30], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], [25, 35]];
    for (const sizes of cases) {
      const chunks: Uint8Array[] = [];
      for (let o = 0, k = 0; o < data.length; o += sizes[k++]) chunks.push(data.subarray(o, o + sizes[k]));
      const got: number[][] = [];
      const views: boolean[] = [];
      const gen = cutFrames(from(chunks), size);
      let r: IteratorResult<Uint8Array, RawFramesRead>;
      while (!(r = await gen.next()).done) {
        got.push([...r.value]);
        views.push(r.value.buffer === data.buffer);
      }
      expect(got, JSON.stringify(sizes)).toEqual(Array.from({ length: 6 }, (_, f) => Array.from({ length: size }, (_, i) => f * size + i)));
      expect(r.value).toEqual({ frames: 6, bytes: 60, leftover: 0 });
      if (sizes.length === 1) expect(views.every(Boolean)).toBe(true); // zero-copy when nothing straddles
      if (sizes[0] === 25) expect(views).toEqual([true, true, false, true, true, true]);
    }
  });

  it('yields the whole frames of an input cut inside a frame and reports the bytes left over, for any chunking', async () => {
    for (const sizes of [[25], [7, 7, 7, 4], [10, 10, 5], [1, 24]]) {
      const data = Uint8Array.from({ length: 25 }, (_, i) => i);
      const chunks: Uint8Array[] = [];
      for (let o = 0, k = 0; o < data.length; o += sizes[k++]) chunks.push(data.subarray(o, o + sizes[k]));
      const gen = cutFrames(from(chunks), 10);
      const got: number[][] = [];
      let r: IteratorResult<Uint8Array, RawFramesRead>;
      while (!(r = await gen.next()).done) got.push([...r.value]);
      expect(got, JSON.stringify(sizes)).toEqual([[...data.subarray(0, 10)], [...data.subarray(10, 20)]]);
      expect(r.value, JSON.stringify(sizes)).toEqual({ frames: 2, bytes: 25, leftover: 5 });
    }
  });

  it('does not read ahead while the consumer is busy (backpressure)', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield new Uint8Array(10);
      }
    }
    const gen = cutFrames(source(), 10);
    await gen.next();
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled).toBe(1);
    await gen.return({ frames: 0, bytes: 0, leftover: 0 });
  });
});

describe('readPipeFrames', () => {
  it('isPipe: a FIFO and a socket (what spawn gives a child as stdin) are pipes; a file, a bad descriptor are not', async () => {
    const { fd, writer } = await fifo();
    expect(isPipe(fd)).toBe(true);
    closeSync(fd);
    await writer.close();
    const server = createServer();
    const path = join(dir, 'sock');
    await new Promise<void>((r) => server.listen(path, r));
    const client = connect(path);
    await new Promise((r) => client.once('connect', r));
    expect(isPipe((client as unknown as { _handle: { fd: number } })._handle.fd)).toBe(true);
    client.destroy();
    await new Promise((r) => server.close(r));
    const file = openSync(join(dir, 'not-a-pipe.raw'), 'w');
    expect(isPipe(file)).toBe(false);
    closeSync(file);
    expect(isPipe(file)).toBe(false); // closed: fstat fails
  });

  it('yields exact frames from writes of any size, each intact while the consumer holds it', async () => {
    const size = 1000;
    const frames = 7;
    const data = Uint8Array.from({ length: frames * size + 123 }, (_, i) => (i * 7 + (i >> 8)) & 255);
    const { fd, writer } = await fifo();
    expect(isPipe(fd)).toBe(true);
    // The producer runs ahead: it writes while the consumer holds a frame, so a reader that reused
    // that frame's buffer would change it under the consumer.
    const gen = readPipeFrames(fd, size);
    const firstFrame = gen.next(); // starts the reader thread
    const produce = (async () => {
      // First pieces that end one byte short of a frame and one byte into the next (each read on
      // its own after a pause, once the reader thread is up), then random ones.
      await pause(300);
      const pieces = [size - 1, 1, 2 * size - 1, 2];
      const next = lcg(12345);
      for (let o = 0, i = 0; o < data.length; i++) {
        const rnd = next() >>> 1;
        const k = Math.min(data.length - o, pieces[i] ?? 1 + (rnd % (2.5 * size)));
        await writer.write(data.subarray(o, o + k));
        o += k;
        if (i < pieces.length || rnd % 3 === 0) await pause(5);
      }
      await writer.close();
    })();
    let r: IteratorResult<Uint8Array, RawFramesRead>;
    let f = 0;
    for (let next = firstFrame; !(r = await next).done; next = gen.next()) {
      const copy = r.value.slice();
      await pause(15);
      expect([...r.value], `frame ${f}`).toEqual([...data.subarray(f * size, (f + 1) * size)]);
      expect(r.value).toEqual(copy);
      f++;
    }
    await produce;
    expect(f).toBe(frames);
    expect(r.value).toEqual({ frames, bytes: data.length, leftover: 123 });
  });

  it('ends with no frame on an empty input, and reads no more than one frame ahead', async () => {
    const empty = await fifo();
    await empty.writer.close();
    const gen = readPipeFrames(empty.fd, 10);
    expect(await gen.next()).toEqual({ done: true, value: { frames: 0, bytes: 0, leftover: 0 } });

    // A consumer holding frame 0: the reader fills frame 1 and stops, so the pipe (64 KiB) fills
    // up and non-blocking writes fail with EAGAIN long before the producer's 400 blocks are out.
    const size = 32 * 1024;
    const { path, fd, writer } = await fifo();
    const held = readPipeFrames(fd, size);
    const w = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    const first = held.next();
    const block = new Uint8Array(4096);
    let written = 0;
    let refused = 0;
    for (let i = 0; i < 400 && refused < 5; i++) {
      try {
        written += writeSync(w, block);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('EAGAIN');
        refused++;
        await pause(20); // the reader gets its turns: it must not drain the pipe beyond frame 1
      }
    }
    expect((await first).done).toBe(false);
    expect(refused).toBe(5);
    // Two frames in the reader's buffers, at most 64 KiB in the pipe.
    expect(written).toBeLessThanOrEqual(2 * size + 64 * 1024);
    closeSync(w);
    await writer.close();
    await held.return({ frames: 0, bytes: 0, leftover: 0 });
  });

  it('an abort rejects a read that waits for a quiet producer; returning early closes the pipe', async () => {
    const { fd, writer } = await fifo();
    const ac = new AbortController();
    const gen = readPipeFrames(fd, 100, ac.signal);
    await writer.write(new Uint8Array(150));
    expect((await gen.next()).done).toBe(false);
    const next = gen.next(); // 50 bytes of frame 1 are there; the producer goes quiet
    setTimeout(() => ac.abort(new Error('stop now')), 20);
    await expect(next).rejects.toThrow('stop now');
    // The reader's end is closed: the producer's next write fails (EPIPE) instead of blocking.
    await expect(writer.write(new Uint8Array(1 << 20))).rejects.toMatchObject({ code: 'EPIPE' });
    await writer.close();

    const second = await fifo();
    const early = readPipeFrames(second.fd, 10);
    await second.writer.write(new Uint8Array(30));
    expect((await early.next()).done).toBe(false);
    await early.return({ frames: 0, bytes: 0, leftover: 0 });
    await expect(second.writer.write(new Uint8Array(1 << 20))).rejects.toMatchObject({ code: 'EPIPE' });
    await second.writer.close();
  });
});


describe('readRawFrames', () => {
  const size = 12;
  const data = Uint8Array.from({ length: 5 * size + 7 }, (_, i) => (i * 13) & 255);
  const expected = Array.from({ length: 5 }, (_, f) => [...data.subarray(f * size, (f + 1) * size)]);
  const pieces = (bytes: Uint8Array, n: number) => Array.from({ length: Math.ceil(bytes.length / n) }, (_, i) => bytes.slice(i * n, (i + 1) * n));

  it('reads a pipe on its thread, a file descriptor, a ReadableStream and an async iterable to the same frames', async () => {
    // A pipe: read on the reader thread, into shared memory; the descriptor is closed at the end.
    const p = await fifo();
    const writing = (async () => {
      for (const piece of pieces(data, 5)) await p.writer.write(piece);
      await p.writer.close();
    })();
    const fromPipe = readRawFrames(p.fd, size);
    const first = await fromPipe.next();
    expect(first.done).toBe(false);
    expect((first.value as Uint8Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    const firstBytes = [...(first.value as Uint8Array)]; // valid only until the next next()
    const rest = await drain(fromPipe);
    await writing;
    expect([firstBytes, ...rest.frames]).toEqual(expected);
    expect(rest.read).toEqual({ frames: 5, bytes: data.length, leftover: 7 });
    // The pipe's descriptor is closed by the time reading has ended, not later, when its number
    // may already name another file.
    expect(() => fstatSync(p.fd)).toThrow(/EBADF/);

    // A file: read as a stream; the descriptor stays open (and usable) afterwards.
    const file = join(dir, 'frames.raw');
    writeFileSync(file, data);
    const fd = openSync(file, 'r');
    const fromFile = await drain(readRawFrames(fd, size));
    expect(fromFile).toEqual({ frames: expected, read: { frames: 5, bytes: data.length, leftover: 7 } });
    expect(fstatSync(fd).size).toBe(data.length);
    closeSync(fd);

    // A web stream and a Node Readable (an async iterable), in pieces that split frames.
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        for (const piece of pieces(data, 7)) c.enqueue(piece);
        c.close();
      },
    });
    expect(await drain(readRawFrames(web, size))).toEqual({ frames: expected, read: { frames: 5, bytes: data.length, leftover: 7 } });
    expect(await drain(readRawFrames(Readable.from(pieces(data, 25)), size))).toEqual({
      frames: expected,
      read: { frames: 5, bytes: data.length, leftover: 7 },
    });
  });

  it('stopping early cancels a ReadableStream; an abort rejects a read waiting for a quiet stream and destroys it', async () => {
    let cancelled = false;
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(data.slice(0, 2 * size)); // then nothing more: the producer went quiet
      },
      cancel() {
        cancelled = true;
      },
    });
    const gen = readRawFrames(web, size);
    expect((await gen.next()).done).toBe(false);
    await gen.return({ frames: 0, bytes: 0, leftover: 0 });
    expect(cancelled).toBe(true);

    const quiet = new Readable({ read() {} }); // never ends
    quiet.push(data.slice(0, size + 3));
    const ac = new AbortController();
    const frames = readRawFrames(quiet, size, { signal: ac.signal });
    expect((await frames.next()).done).toBe(false);
    const waiting = frames.next();
    setTimeout(() => ac.abort(new Error('enough')), 20);
    await expect(waiting).rejects.toThrow('enough');
    expect(quiet.destroyed).toBe(true);
  });

  it("an abort rejects with the signal's reason, whatever it is, from a pipe as from a stream", async () => {
    const p = await fifo();
    await p.writer.write(new Uint8Array(5)); // half a frame, then the producer goes quiet
    const ac = new AbortController();
    const fromPipe = readRawFrames(p.fd, 10, { signal: ac.signal }).next();
    setTimeout(() => ac.abort('halt'), 20);
    await expect(fromPipe).rejects.toBe('halt');
    await p.writer.close().catch(() => {});

    const quiet = new Readable({ read() {} });
    const ac2 = new AbortController();
    const fromStream = readRawFrames(quiet, 10, { signal: ac2.signal }).next();
    setTimeout(() => ac2.abort('halt'), 20);
    await expect(fromStream).rejects.toBe('halt');
  });

  it('refuses a bad frame size or input before reading, with INVALID_OPTION', async () => {
    const bad: [unknown, unknown, RegExp][] = [
      [0, 0, /frameSize must be a positive whole number of bytes \(see bytesPerFrame\), got 0/],
      [0, 1.5, /frameSize .* got 1\.5/],
      [-1, 12, /a file descriptor must be a whole number ≥ 0, got -1/],
      [new Uint8Array(24), 12, /input must be a file descriptor, a ReadableStream or an async iterable of Uint8Array chunks, got Uint8Array/],
      ['frames.raw', 12, /got string/],
    ];
    for (const [input, frameSize, message] of bad) {
      const err = await rejection(Promise.resolve().then(() => readRawFrames(input as number, frameSize as number)));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(message);
    }
  });

  it('a descriptor that cannot be read rejects with INVALID_OPTION naming it', async () => {
    const fd = openSync(dir, 'r'); // a directory: read(2) fails with EISDIR
    const err = await rejection(readRawFrames(fd, 12).next());
    closeSync(fd);
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(new RegExp(`^readRawFrames: cannot read file descriptor ${fd}: EISDIR`));
  });
});
