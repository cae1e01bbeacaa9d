// Segments rendered apart (in-process, in child processes, through the serverless example) and
// stitched without re-encoding: checked against a single render by bytes, by ffprobe frame counts
// and by decoded pixels (the bars pattern's frame counter read back from ffmpeg's output).
// `npm test` builds dist/ first; run `npx tsup` before running this file alone.
import { WASM_ENCODER } from '../src/encode/h264/wasm-encoder.js';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkFramesFor } from '../src/encode/backend.js';
import { readBarsCounter } from '../src/generate/bars.js';
import {
  createMp4Writer, Mp4ForgeError, renderSegment, segmentRange, stitchSegments, type Layout, type RenderSegmentOptions, type SegmentInput,
} from '../src/index.js';
import { bytesReader, openSegment } from '../src/mux/segment-reader.js';
import { bytesSource, probeMp4 } from '../src/probe/mp4-probe.js';
import { assertValidIsoBmff, readSampleTables, validateIsoBmff } from './helpers/iso-validate.js';
import { decodeRgbFrames, ffmpegDecodeCheck, ffmpegSync, ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { rejection } from './helpers/rejection.js';
import { readRecord, rewriteRecord } from './helpers/segment-record.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds it) before this test file`);

const W = 160;
const H = 96;
const GOP = 8; // chunks of 16 frames
const BASE = { width: W, height: H, fps: 30, scene: 'bars', video: { gop: GOP }, output: { buffer: true } } as const;

async function singleRender(frames: number, layout: Layout, opts: { start?: number; qp?: number } = {}): Promise<Uint8Array> {
  const w = await createMp4Writer({ width: W, height: H, fps: 30, video: { gop: GOP, ...(opts.qp ? { qp: opts.qp } : {}) }, layout, output: { buffer: true } });
  const start = opts.start ?? 0;
  // addFrames counts from the writer's first frame; offset to draw absolute indices.
  const { drawPattern } = await import('../src/generate/patterns.js');
  await w.addFrames(frames, (i, rgba) => drawPattern('bars', rgba, W, H, start + i));
  return (await w.finish()).data as Uint8Array;
}

async function segment(range: { start: number; end: number }, extra: Partial<RenderSegmentOptions> = {}): Promise<Uint8Array> {
  const r = await renderSegment({ ...BASE, range, ...extra });
  return r.data as Uint8Array;
}

async function expectFrames(file: string, first: number, count: number): Promise<void> {
  const probe = await ffprobe(file, { count: true });
  const v = probe.streams.find((s) => s.codec_type === 'video');
  expect(Number(v?.nb_read_frames)).toBe(count);
  const decoded = await decodeRgbFrames(file, W, H);
  expect(decoded.map((f) => readBarsCounter(f, 3, W, H))).toEqual(Array.from({ length: count }, (_, i) => first + i));
  expect((await ffmpegDecodeCheck(file)).stderr).toBe('');
}

function save(name: string, bytes: Uint8Array): string {
  const file = tmpFile(name);
  writeFileSync(file, bytes);
  return file;
}

/** A copy of `seg` whose record has `patch` merged into its JSON. */
function alter(seg: Uint8Array, patch: (record: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  return rewriteRecord(seg, (json) => JSON.stringify(patch(JSON.parse(json) as Record<string, unknown>)));
}

/** A copy of `seg` whose first sample (in its first trun) is flagged as a non-sync sample. */
function firstSampleNotSync(seg: Uint8Array): Uint8Array {
  const out = seg.slice();
  const dv = new DataView(out.buffer);
  const box = Buffer.from(out).indexOf('trun') - 4;
  const flags = dv.getUint32(box + 8) & 0xffffff;
  // version/flags, sample_count, then data_offset and first_sample_flags when present (14496-12 §8.8.8)
  let at = box + 16 + (flags & 0x01 ? 4 : 0);
  if (!(flags & 0x04)) {
    expect(flags & 0x400).not.toBe(0); // per-sample flags, after the duration and size when present
    at += (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0);
  }
  dv.setUint32(at, 0x01010000); // sample_depends_on = 1, sample_is_non_sync_sample
  return out;
}

describe('segmentRange', () => {
  it('splits on chunk boundaries, evenly, covering every frame once', () => {
    expect(segmentRange(100, 1, 4, 8)).toEqual({ start: 0, end: 16 });
    expect(segmentRange(100, 4, 4, 8)).toEqual({ start: 80, end: 100 });
    // 300 frames, GOP 60 (chunks of 60): 5 chunks over 4 segments.
    expect([1, 2, 3, 4].map((k) => segmentRange(300, k, 4, 60))).toEqual([
      { start: 0, end: 60 },
      { start: 60, end: 120 },
      { start: 120, end: 180 },
      { start: 180, end: 300 },
    ]);
    expect(segmentRange(5, 1, 1, 30)).toEqual({ start: 0, end: 5 });
  });

  it('property: contiguous, chunk-aligned, non-empty, sizes within one chunk of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 64 }), (total, gop, nWanted) => {
        const unit = chunkFramesFor(gop);
        const n = Math.min(nWanted, Math.ceil(total / unit));
        const ranges = Array.from({ length: n }, (_, i) => segmentRange(total, i + 1, n, gop));
        expect(ranges[0].start).toBe(0);
        expect(ranges[n - 1].end).toBe(total);
        for (let i = 0; i < n; i++) {
          expect(ranges[i].end).toBeGreaterThan(ranges[i].start);
          expect(ranges[i].start % unit).toBe(0);
          if (i > 0) expect(ranges[i].start).toBe(ranges[i - 1].end);
        }
        const sizes = ranges.map((r) => r.end - r.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(unit);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects k out of range, too many segments and non-integers', () => {
    expect(() => segmentRange(100, 0, 4, 8)).toThrow(/k must be an integer ≥ 1/);
    expect(() => segmentRange(100, 5, 4, 8)).toThrow(/segment 5\/4: k must be between 1 and 4/);
    expect(() => segmentRange(40, 1, 4, 8)).toThrow(/40 frames make 3 chunks of 16 frames \(GOP 8\), too few for 4 segments; use at most 3 segments/);
    expect(() => segmentRange(1.5, 1, 1, 8)).toThrow(Mp4ForgeError);
    // Each argument is checked itself, not only where a bad value happens to break the arithmetic.
    expect(() => segmentRange(100, 1, 1, 0)).toThrow(/gop must be an integer ≥ 1, got 0/);
    expect(() => segmentRange(100, 1, 1.5, 8)).toThrow(/n must be an integer ≥ 1, got 1\.5/);
  });
});

describe('renderSegment + stitchSegments in one process', () => {
  it('chunk-aligned segments stitch to exactly the bytes of a single render, in every layout', async () => {
    const total = 100;
    const segs: Uint8Array[] = [];
    for (let k = 1; k <= 4; k++) segs.push(await segment(segmentRange(total, k, 4, GOP), { frames: total }));
    for (const layout of ['faststart', 'progressive', 'fragmented'] as const) {
      const stitched = await stitchSegments(segs, { output: { buffer: true }, layout });
      expect(stitched).toMatchObject({ frames: total, segments: 4, range: { start: 0, end: total }, layout });
      const single = await singleRender(total, layout);
      expect(Buffer.from(stitched.data as Uint8Array).equals(Buffer.from(single)), layout).toBe(true);
    }
    await expectFrames(save('seg-aligned.mp4', (await stitchSegments(segs, { output: { buffer: true } })).data as Uint8Array), 0, total);
  });

  it('also byte-identical with rate control (kbps restarts per chunk) and the default GOP; stitches to a Node stream too', async () => {
    const video = { kbps: 150 }; // default GOP at 30 fps: 60 frames, chunks of 60
    const total = 150;
    const segs = [];
    for (let k = 1; k <= 2; k++) {
      const r = await renderSegment({ width: W, height: H, fps: 30, scene: 'plasma', video, frames: total, segment: { k, n: 2 }, output: { buffer: true } });
      expect(r.range).toEqual(k === 1 ? { start: 0, end: 60 } : { start: 60, end: 150 });
      segs.push(r);
    }
    const w = await createMp4Writer({ width: W, height: H, fps: 30, video, output: { buffer: true } });
    await w.addFrames(total, 'plasma');
    const single = (await w.finish()).data as Uint8Array;
    const chunks: Buffer[] = [];
    const { PassThrough } = await import('node:stream');
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c));
    const r = await stitchSegments(segs, { output: sink });
    expect(r.data).toBeUndefined();
    expect(Buffer.concat(chunks).equals(Buffer.from(single))).toBe(true);
  });

  it('a segment is a self-contained fMP4: starts with an IDR at its own decode time, carries its record, plays alone', async () => {
    const bytes = await segment({ start: 32, end: 60 }, { frames: 100, stitchLayout: 'progressive' });
    const report = assertValidIsoBmff(bytes);
    expect(report.boxes.map((b) => b.type).slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
    const probe = await probeMp4(bytesSource(bytes));
    expect(probe.segment).toEqual({
      start: 32,
      end: 60,
      total: 100,
      width: W,
      height: H,
      fps: { num: 30, den: 1 },
      timescale: 90000,
      frameDuration: 3000,
      encoder: { id: 'wasm', version: WASM_ENCODER.version, qp: 26, kbps: 0, gop: GOP, chunkFrames: 16 },
      layout: 'progressive',
    });
    const file = save('seg-alone.m4s', bytes);
    const v = (await ffprobe(file, { count: true })).streams[0];
    expect(Number(v.nb_read_frames)).toBe(28);
    expect(Number(v.start_time)).toBeCloseTo(32 / 30, 6);
    expect(readSampleTables(bytes)[0]).toBeDefined();
    await expectFrames(file, 32, 28);
    // The segment's own reader agrees: first sample is sync, 28 samples, decode times from frame 32.
    const reader = await openSegment(bytesReader(bytes), 'seg');
    const frags = [];
    for await (const f of reader.fragments()) frags.push(f);
    expect(frags[0].baseMediaDecodeTime).toBe(32 * 3000);
    expect(frags[0].samples[0].sync).toBe(true);
    expect(frags.reduce((n, f) => n + f.samples.length, 0)).toBe(28);
  });

  it("its record is README's format: mp4forge's usertype, version byte 2, then the JSON probeMp4 reads", async () => {
    const bytes = await segment({ start: 16, end: 40 }, { frames: 64 });
    const { version, json } = readRecord(bytes);
    expect(version).toBe(2);
    const record = JSON.parse(json) as unknown;
    expect(record).toEqual((await probeMp4(bytesSource(bytes))).segment);
    expect(record).toMatchObject({ start: 16, end: 40, total: 64, width: W, height: H });
  });

  it('the stitched layout is the one every record asks for; faststart when they differ; the option overrides both', async () => {
    const top = (b: Uint8Array) => assertValidIsoBmff(b).boxes.map((x) => x.type).filter((t) => ['moov', 'mdat', 'moof'].includes(t));
    const progressive = [
      await segment({ start: 0, end: 16 }, { stitchLayout: 'progressive' }),
      await segment({ start: 16, end: 32 }, { stitchLayout: 'progressive' }),
    ];
    const mixed = [progressive[0], await segment({ start: 16, end: 32 }, { stitchLayout: 'fragmented' })];
    const asked = await stitchSegments(progressive, { output: { buffer: true } });
    expect(asked.layout).toBe('progressive');
    const last = top(asked.data as Uint8Array); // the index after all the media
    expect(last.indexOf('moov')).toBe(last.length - 1);
    expect(last).not.toContain('moof');
    const differ = await stitchSegments(mixed, { output: { buffer: true } });
    expect(differ.layout).toBe('faststart');
    const front = top(differ.data as Uint8Array);
    expect(front[0]).toBe('moov');
    expect(front.slice(1)).toEqual(front.slice(1).map(() => 'mdat'));
    const told = await stitchSegments(mixed, { output: { buffer: true }, layout: 'fragmented' });
    expect(told.layout).toBe('fragmented');
    const fragments = top(told.data as Uint8Array);
    expect(fragments[0]).toBe('moov');
    expect(fragments.slice(1)).toEqual(fragments.slice(1).map((_, i) => (i % 2 ? 'mdat' : 'moof')));
    expect(fragments.length).toBeGreaterThan(2);
  });

  it('a scene module (URL) draws the same frames as the same function given directly, with absolute indices', async () => {
    const scene = tmpFile('seg-scene.mjs');
    // Frame i is a flat grey of level (i * 37) % 256 with a white square at x = i % 100.
    const source = `export function draw(i, rgba, w, h) {
      for (let p = 0; p < w * h; p++) { const v = (i * 37) % 256; rgba[p * 4] = v; rgba[p * 4 + 1] = v; rgba[p * 4 + 2] = v; rgba[p * 4 + 3] = 255; }
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) rgba.fill(255, ((y * w) + (i % 100) + x) * 4, ((y * w) + (i % 100) + x) * 4 + 3);
    }`;
    writeFileSync(scene, source);
    const mod = (await import(pathToFileURL(scene).href)) as { draw: (i: number, rgba: Uint8Array, w: number, h: number) => void };
    const viaUrl = await segment({ start: 16, end: 40 }, { scene: pathToFileURL(scene) });
    const viaFn = await segment({ start: 16, end: 40 }, { scene: mod.draw });
    expect(Buffer.from(viaUrl).equals(Buffer.from(viaFn))).toBe(true);
    const frames = await decodeRgbFrames(save('seg-scene.m4s', viaUrl), W, H);
    expect(frames).toHaveLength(24);
    // Frame 16 (the segment's first) is grey (16 * 37) % 256 = 80 away from the square.
    expect(Math.abs(frames[0][(50 * W + 140) * 3] - 80)).toBeLessThanOrEqual(3);
    expect(Math.abs(frames[5][(50 * W + 140) * 3] - ((21 * 37) % 256))).toBeLessThanOrEqual(3);
    const bad = await rejection(renderSegment({ ...BASE, scene: pathToFileURL(tmpFile('no-scene.mjs')), range: { start: 0, end: 4 } }));
    expect(bad.message).toMatch(/scene file:.*no-scene\.mjs could not be imported/);
  });

  it('ranges off chunk boundaries still stitch into a clean stream (each segment opens with an IDR)', async () => {
    const cuts = [0, 10, 37, 38, 61];
    const segs = [];
    for (let i = 0; i + 1 < cuts.length; i++) segs.push(await segment({ start: cuts[i], end: cuts[i + 1] }));
    const r = await stitchSegments(segs, { output: { buffer: true }, layout: 'fragmented' });
    assertValidIsoBmff(r.data as Uint8Array);
    await expectFrames(save('seg-unaligned.mp4', r.data as Uint8Array), 0, 61);
    // The chunks after the first full boundary inside each segment match the single render's.
    const probe = await probeMp4(bytesSource(r.data as Uint8Array));
    expect(probe.tracks[0].keyframes).toBeGreaterThan(Math.ceil(61 / GOP));
  });

  it('a sub-range (not from frame 0) stitches to what a single render of those frames gives', async () => {
    const segs = [await segment({ start: 48, end: 64 }), await segment({ start: 64, end: 90 })];
    const r = await stitchSegments(segs, { output: { buffer: true } });
    expect(r.range).toEqual({ start: 48, end: 90 });
    expect(Buffer.from(r.data as Uint8Array).equals(Buffer.from(await singleRender(42, 'faststart', { start: 48 })))).toBe(true);
  });

  it('decode times past 2^32 ticks (64-bit tfdt, past 13 h at 30 fps) are read back and stitched right', async () => {
    // Chunk-aligned frames just before decode time 2^32 at 90 kHz, so that tfdt turns 64-bit inside the first segment.
    const unit = chunkFramesFor(GOP);
    const start = Math.floor(2 ** 32 / (90000 / 30) / unit) * unit;
    const segs = [await segment({ start, end: start + unit }), await segment({ start: start + unit, end: start + 2 * unit })];
    const tfdtVersions = (b: Uint8Array) => {
      const versions: number[] = [];
      for (let at = Buffer.from(b).indexOf('tfdt'); at >= 0; at = Buffer.from(b).indexOf('tfdt', at + 4)) versions.push(b[at + 4]);
      return versions;
    };
    expect(tfdtVersions(segs[0])).toEqual([0, 1]);
    expect(Number((await ffprobe(save('seg-late.m4s', segs[1]))).streams[0].start_time)).toBeCloseTo((start + unit) / 30, 3);
    const r = await stitchSegments(segs, { output: { buffer: true } });
    expect(r.range).toEqual({ start, end: start + 2 * unit });
    expect(Buffer.from(r.data as Uint8Array).equals(Buffer.from(await singleRender(2 * unit, 'faststart', { start })))).toBe(true);
  });

  it('reads segments from files, ReadableStreams and AsyncIterables in small pieces, with the same result', async () => {
    const segs = [await segment({ start: 0, end: 16 }), await segment({ start: 16, end: 40 })];
    const expected = (await stitchSegments(segs, { output: { buffer: true } })).data as Uint8Array;
    const pieces = (b: Uint8Array, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
    async function* iterable(b: Uint8Array): AsyncGenerator<Uint8Array> {
      for (const p of pieces(b, 7)) yield p;
    }
    const stream = (b: Uint8Array) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of pieces(b, 1000)) c.enqueue(p);
          c.close();
        },
      });
    const files = segs.map((s, i) => save(`seg-file-${i}.m4s`, s));
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const inputs: SegmentInput[][] = [
      files,
      [stream(segs[0]), iterable(segs[1])],
      [
        {
          range: { start: 0, end: 16 },
          frames: 16,
          bytes: 0,
          durationSeconds: 16 / 30,
          layout: 'fragmented',
          videoEncoder: 'wasm',
          path: files[0],
        },
        segs[1],
      ],
    ];
    for (const input of inputs) {
      const r = await stitchSegments(input, { output: { buffer: true } });
      expect(Buffer.from(r.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    }
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore); // every segment file was closed
    // Views into a larger buffer (as Node Buffers from a pool are): the avcC must still be copied right.
    const views = segs.map((b) => {
      const big = new Uint8Array(b.length + 4000).fill(0xee);
      big.set(b, 1234);
      return Buffer.from(big.buffer, 1234, b.length);
    });
    const fromViews = await stitchSegments(views, { output: { buffer: true } });
    expect(Buffer.from(fromViews.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    // A segment written to a file by renderSegment, passed as its result.
    const out = tmpFile('seg-out.m4s');
    const res = await renderSegment({ ...BASE, range: { start: 40, end: 56 }, output: out });
    expect(res).toMatchObject({ path: out, frames: 16, range: { start: 40, end: 56 } });
    expect((await stitchSegments([...files, res], { output: { buffer: true } })).frames).toBe(56);
  });
});

describe('bounded memory while stitching', () => {
  it('pulls segment bytes only as fast as it writes them: never more than about one fragment ahead', async () => {
    // Noise makes large frames, so one fragment (a GOP of 8) is a small part of the whole.
    const segs: Uint8Array[] = [];
    for (let k = 0; k < 6; k++) segs.push(await segment({ start: k * 32, end: (k + 1) * 32 }, { scene: 'noise' }));
    const total = segs.reduce((n, s) => n + s.length, 0);
    let pulled = 0;
    let written = 0;
    let worst = 0;
    async function* lazy(b: Uint8Array): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < b.length; o += 4096) {
        const piece = b.subarray(o, o + 4096);
        pulled += piece.length;
        yield piece;
      }
    }
    const sink = {
      write: async (bytes: Uint8Array) => {
        written += bytes.length;
        worst = Math.max(worst, pulled - written);
      },
      close: async () => {},
      abort: async () => {},
    };
    const r = await stitchSegments(segs.map(lazy), { output: sink, layout: 'fragmented' });
    expect(r.frames).toBe(192);
    expect(pulled).toBe(total);
    const gop = Math.max(...segs.map((s) => s.length)) / 4; // a segment holds 4 GOPs
    expect(worst, `at most ${worst} bytes were read but not yet written, of ${total}`).toBeLessThan(3 * gop);
    expect(worst).toBeLessThan(total / 5);
  });
});

describe('segments that do not fit are rejected', () => {
  const segs: Uint8Array[] = [];
  const ranges = [
    { start: 0, end: 16 },
    { start: 16, end: 32 },
    { start: 32, end: 48 },
  ];
  beforeAll(async () => {
    for (const r of ranges) segs.push(await segment(r));
  });

  const cases: [string, () => Promise<SegmentInput[]>, string, RegExp][] = [
    [
      'different size',
      async () => [segs[0], await segment(ranges[1], { width: 128 })],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: size is 128×96, expected 160×96/,
    ],
    [
      'different qp',
      async () => [segs[0], await segment(ranges[1], { video: { gop: GOP, qp: 30 } })],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: encoder qp is 30, expected 26/,
    ],
    ['different gop', async () => [segs[0], await segment(ranges[1], { video: { gop: 16 } })], 'SEGMENT_MISMATCH', /encoder gop is 16, expected 8/],
    [
      'different fps',
      async () => [segs[0], await segment(ranges[1], { fps: 25 })],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: fps is 25\/1, expected 30\/1/,
    ],
    [
      'gap',
      async () => [segs[0], segs[2]],
      'SEGMENT_GAP',
      /frames 16–31 are missing: segment 1 of 2 ends at frame 15 and segment 2 of 2 starts at frame 32; expected it to start at frame 16/,
    ],
    [
      'overlap',
      async () => [segs[0], await segment({ start: 8, end: 32 })],
      'SEGMENT_GAP',
      /segment 2 of 2 holds frames 8–31, overlapping frames 0–15 of segment 1 of 2; expected it to start at frame 16/,
    ],
    [
      'wrong order',
      async () => [segs[1], segs[0], segs[2]],
      'SEGMENT_GAP',
      /segment 2 of 3 holds frames 0–15, which come before frames 16–31 of segment 1 of 3: pass the segments in frame order/,
    ],
    ['duplicate', async () => [segs[0], segs[1], segs[1], segs[2]], 'SEGMENT_GAP', /segment 3 of 4 repeats frames 16–31 of segment 2 of 4/],
    [
      'different total',
      async () => [await segment(ranges[0], { frames: 100 }), await segment(ranges[1], { frames: 200 })],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: total frames is 200, expected 100/,
    ],
    [
      'speed set in the second only',
      async () => [segs[0], await segment(ranges[1], { video: { gop: GOP, speed: 3 } })],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: encoder speed is 3, expected undefined/,
    ],
    [
      // Same timescale, another frame duration: only a record can say so (fps is checked first otherwise).
      'different frame duration',
      async () => [segs[0], alter(segs[1], (r) => ({ ...r, frameDuration: (r.frameDuration as number) * 2 }))],
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: timescale is (\d+)\/(\d+), expected (?!\1\/)\d+\/\2/,
    ],
    [
      // Same record, another avcC (its level byte changed): the stream would not decode as one.
      'different avcC',
      async () => {
        const other = segs[1].slice();
        other[Buffer.from(other).indexOf('avcC') + 4 + 3] ^= 1; // AVCLevelIndication
        return [segs[0], other];
      },
      'SEGMENT_MISMATCH',
      /segment 2 of 2 does not match segment 1 of 2: SPS\/PPS \(avcC\) is [0-9a-f]+… \(\d+ bytes\), expected [0-9a-f]+/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    it(name, async () => {
      const out = tmpFile(`seg-reject-${name.replace(/ /g, '-')}.mp4`);
      const e = await rejection(stitchSegments(await make(), { output: out }));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.details.segment).toBeTypeOf('number');
      expect(existsSync(out)).toBe(false); // checked before any output is opened
    });
  }

  it('not a segment: a plain MP4, an MP3, random bytes, an empty file', async () => {
    const plain = await singleRender(16, 'fragmented');
    const mp3 = tmpFile('seg-not.mp3');
    ffmpegSync(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.2', '-c:a', 'libmp3lame', '-f', 'mp3', mp3]);
    const random = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff);
    const expectations: [SegmentInput, RegExp][] = [
      [plain, /segment 2 of 2 is not an mp4forge segment: its moov has no segment record/],
      [mp3, /segment 2 of 2 \(.*seg-not\.mp3\) is not a readable segment/],
      [random, /segment 2 of 2 is not a readable segment: no box at offset 0 \(this is not an MP4\)/],
      [new Uint8Array(0), /segment 2 of 2 is not a readable segment: it is empty/],
    ];
    for (const [input, message] of expectations) {
      const e = await rejection(stitchSegments([segs[0], input], { output: { buffer: true } }));
      expect(e.code).toBe('INVALID_MP4');
      expect(e.message).toMatch(message);
    }
    const missing = await rejection(stitchSegments([segs[0], tmpFile('no-such.m4s')], { output: { buffer: true } }));
    expect(missing.message).toMatch(/cannot read segment 2 of 2 \(.*no-such\.m4s\): ENOENT/);
  });

  it('a record that disagrees with its own media, or with itself, is refused before anything is written', async () => {
    const firstNotKey = firstSampleNotSync(segs[0]);
    // The patched flags mean what they should: the validator sees an IDR that is not marked sync.
    expect(validateIsoBmff(segs[0]).errors).toEqual([]);
    expect(validateIsoBmff(firstNotKey).errors.join('\n')).toMatch(/sample 1 has an IDR NAL unit but is not marked sync/);
    const withTotal = await segment(ranges[2], { frames: 64 });
    const cases: [string, SegmentInput[], string, RegExp][] = [
      // segs[2]'s fragments start at frame 32; its record claiming 16–31 makes the ranges fit, not the media.
      ['moved range', [segs[0], alter(segs[2], (r) => ({ ...r, start: 16, end: 32 }))], 'INVALID_MP4', /segment 2 of 2 is not a valid segment: a fragment starts at decode time/],
      ['a frame more than it holds', [alter(segs[0], (r) => ({ ...r, end: (r.end as number) + 1 }))], 'INVALID_MP4', /record says frames 0–17 \(17\) but it holds 16 \(truncated\?\)/],
      ['a frame fewer than it holds', [alter(segs[0], (r) => ({ ...r, end: (r.end as number) - 1 }))], 'INVALID_MP4', /it holds more frames than its range 0–15 says/],
      ['frame duration', [alter(segs[0], (r) => ({ ...r, frameDuration: (r.frameDuration as number) / 2 }))], 'INVALID_MP4', /frame 0 lasts (\d+) ticks, expected (?!\1\b)\d+/],
      ['timescale', [alter(segs[0], (r) => ({ ...r, timescale: (r.timescale as number) / 2 }))], 'INVALID_MP4', /its timescale is (\d+) but its record says (?!\1\b)\d+/],
      ['height', [alter(segs[0], (r) => ({ ...r, height: H - 16 }))], 'INVALID_MP4', new RegExp(`entry is ${W}×${H} but its record says ${W}×${H - 16}`)],
      ['first frame not a keyframe', [firstNotKey], 'INVALID_MP4', /its first frame is not a keyframe \(IDR\)/],
      ['empty range', [alter(segs[2], (r) => ({ ...r, start: r.end }))], 'INVALID_MP4', /unreadable mp4forge segment record: missing or invalid fields/],
      ['total before its end', [alter(withTotal, (r) => ({ ...r, total: (r.end as number) - 1 }))], 'INVALID_MP4', /unreadable mp4forge segment record: missing or invalid fields/],
    ];
    for (const [name, input, code, message] of cases) {
      const out = tmpFile(`seg-lying-${name.replace(/ /g, '-')}.mp4`);
      const e = await rejection(stitchSegments(input, { output: out }));
      expect({ name, code: e.code, segment: e.details.segment }).toEqual({ name, code, segment: input.length });
      expect(e.message, name).toMatch(message);
      expect(existsSync(out), name).toBe(false);
    }
  });

  it('a truncated segment fails mid-stitch and leaves no output file behind', async () => {
    const cut = segs[1].subarray(0, segs[1].length - 100);
    const out = tmpFile('seg-truncated.mp4');
    const e = await rejection(stitchSegments([segs[0], cut, segs[2]], { output: out }));
    expect(e.code).toBe('INVALID_MP4');
    expect(e.message).toMatch(
      /segment 2 of 3 is not a readable segment: its mdat at offset \d+ declares \d+ bytes of media but the input ends after \d+ \(truncated segment\?\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('bad renderSegment options', async () => {
    expect((await rejection(renderSegment({ ...BASE, range: { start: 5, end: 5 } }))).message).toMatch(
      /range must be \{start, end\} with integers 0 ≤ start < end/,
    );
    expect((await rejection(renderSegment({ ...BASE, range: { start: 0, end: 20 }, frames: 10 }))).message).toMatch(
      /range ends at frame 20, past the video's 10 frames/,
    );
    expect((await rejection(renderSegment({ ...BASE, segment: { k: 1, n: 2 } }))).message).toMatch(/segment \{k, n\} needs frames/);
    expect((await rejection(renderSegment({ ...BASE, range: { start: 0, end: 4 }, audio: 'x.mp3' } as RenderSegmentOptions))).message).toMatch(
      /audio is muxed once, by stitchSegments/,
    );
    const thrower = await rejection(
      renderSegment({
        ...BASE,
        scene: (i: number) => {
          if (i === 20) throw new Error('boom');
        },
        range: { start: 16, end: 32 },
      }),
    );
    expect(thrower.code).toBe('USER_CALLBACK_FAILED');
    expect(thrower.details.frameIndex).toBe(20);
    // A failed segment written to a file is removed: a partial segment is never useful.
    const out = tmpFile('seg-failed.m4s');
    await rejection(renderSegment({ ...BASE, scene: (i: number) => { if (i === 40) throw new Error('late'); }, range: { start: 0, end: 48 }, output: out }));
    expect(existsSync(out)).toBe(false);
  });
});

describe('stitching with audio', () => {
  it('adds an MP3 in every layout: ffprobe counts, clean decode, valid ISO-BMFF, audio trimmed to the video', async () => {
    const song = tmpFile('seg-song.mp3');
    ffmpegSync(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3:sample_rate=44100', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3', song]);
    const total = 60; // 2 s of video, 3 s of audio
    const segs = [];
    for (let k = 1; k <= 3; k++) segs.push(await segment(segmentRange(total, k, 3, GOP)));
    for (const layout of ['faststart', 'progressive', 'fragmented'] as const) {
      const out = tmpFile(`seg-audio-${layout}.mp4`);
      const r = await stitchSegments(segs, { output: out, layout, audio: song });
      expect(r.audio?.durationSeconds).toBeCloseTo(2, 3);
      const report = assertValidIsoBmff(readFileSync(out));
      expect(report.tracks.map((t) => t.handler)).toEqual(['vide', 'soun']);
      const probe = await ffprobe(out, { count: true });
      const v = probe.streams.find((s) => s.codec_type === 'video');
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      expect(Number(v?.nb_read_frames), layout).toBe(total);
      expect(a?.codec_name).toBe('mp3');
      expect(Number(a?.nb_read_packets)).toBeGreaterThan(70); // ≥ 2 s of 1152-sample frames at 44.1 kHz
      expect((await ffmpegDecodeCheck(out)).stderr, layout).toBe('');
      const meta = await probeMp4(bytesSource(readFileSync(out)));
      expect(meta.layout).toBe(layout);
      // Fragmented files have no movie duration up front; the audio there runs to its last frame
      // (at most one MP3 frame plus the decoder delay past the video).
      if (layout === 'fragmented') expect(meta.durationSeconds - 2).toBeLessThan((1152 + 529) / 44100 + 1e-6);
      else expect(meta.durationSeconds).toBeCloseTo(2, 2);
    }
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI: render --segment in 4 child processes, then stitch', () => {
  it('matches a single-process render: frame count, decoded pixels (frame counters), bytes', async () => {
    const common = ['--width', `${W}`, '--height', `${H}`, '--fps', '30000/1001', '--frames', '100', '--gop', `${GOP}`, '--qp', '30', '--pattern', 'bars'];
    const parts = [1, 2, 3, 4].map((k) => tmpFile(`cli-part${k}.m4s`));
    const runs = await Promise.all(parts.map((out, i) => node([CLI, 'render', ...common, '--segment', `${i + 1}/4`, '--out', out, '--json'])));
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).segment).toEqual({ k: i + 1, n: 4 });
    }
    expect(runs.map((r) => JSON.parse(r.stdout).range.start)).toEqual([0, 16, 48, 80]);

    const probe = await node([CLI, 'probe', parts[1], '--json']);
    expect(JSON.parse(probe.stdout).segment).toMatchObject({ start: 16, end: 48, total: 100, fps: { num: 30000, den: 1001 }, encoder: { qp: 30, gop: GOP } });
    expect((await node([CLI, 'probe', parts[1]])).stdout).toMatch(
      /Segment \(mp4forge\): frames 16–47 \(32\) of 100, 160×96 at 30000\/1001 fps, wasm \d+\.\d+\.\d+\+[0-9a-f]{8}, qp 30, GOP 8 \(chunks of 16 frames\)/,
    );

    const stitched = tmpFile('cli-stitched.mp4');
    const st = await node([CLI, 'stitch', ...parts, '--out', stitched]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stderr).toMatch(/^mp4forge: wrote cli-stitched\.mp4: 4 segments, frames 0–99 \(100 frames\), 3\.337 s of video, .* \(faststart\) in .*\n$/);
    const single = tmpFile('cli-single.mp4');
    const one = await node([CLI, 'render', ...common, '--out', single]);
    expect(one.code, one.stderr).toBe(0);

    const [a, b] = [await ffprobe(stitched, { count: true }), await ffprobe(single, { count: true })];
    expect(a.streams[0].nb_read_frames).toBe('100');
    expect(b.streams[0].nb_read_frames).toBe('100');
    const [fa, fb] = [await decodeRgbFrames(stitched, W, H), await decodeRgbFrames(single, W, H)];
    expect(fa).toHaveLength(100);
    for (let i = 0; i < 100; i++) expect(Buffer.from(fa[i]).equals(Buffer.from(fb[i])), `frame ${i}`).toBe(true);
    expect(fa.map((f) => readBarsCounter(f, 3, W, H))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(readFileSync(stitched).equals(readFileSync(single))).toBe(true);
  });

  it('--seed and --layout carry through the segments: stitched, the bytes of one render; stitch --layout and the MP3 cut at the video end', async () => {
    const common = ['--width', `${W}`, '--height', `${H}`, '--frames', '32', '--gop', `${GOP}`, '--pattern', 'noise', '--seed', '5', '--layout', 'progressive'];
    const parts = [1, 2].map((k) => tmpFile(`cli-seed-part${k}.m4s`));
    for (const [i, out] of parts.entries()) expect((await node([CLI, 'render', ...common, '--segment', `${i + 1}/2`, '--out', out])).code).toBe(0);
    const single = tmpFile('cli-seed-single.mp4');
    expect((await node([CLI, 'render', ...common, '--out', single])).code).toBe(0);
    // No --layout at stitch time: the layout the segments recorded.
    const stitched = tmpFile('cli-seed-stitched.mp4');
    expect((await node([CLI, 'stitch', ...parts, '--out', stitched])).code).toBe(0);
    expect(readFileSync(stitched).equals(readFileSync(single))).toBe(true);
    const boxes = assertValidIsoBmff(readFileSync(stitched)).boxes.map((b) => b.type);
    expect(boxes.indexOf('moov')).toBeGreaterThan(boxes.indexOf('mdat'));

    const song = tmpFile('cli-seed-song.mp3'); // 3 s, the video 32 frames at 30 fps
    ffmpegSync(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3:sample_rate=44100', '-c:a', 'libmp3lame', '-f', 'mp3', song]);
    const fragmented = tmpFile('cli-seed-fragmented.mp4');
    const st = await node([CLI, 'stitch', ...parts, '--layout', 'fragmented', '--audio', song, '--out', fragmented, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ layout: 'fragmented', frames: 32, audio: { durationSeconds: expect.closeTo(32 / 30, 3) } });
    expect(assertValidIsoBmff(readFileSync(fragmented)).boxes.map((b) => b.type)).toContain('moof');
    const probe = await ffprobe(fragmented, { count: true });
    expect(probe.streams.find((x) => x.codec_type === 'video')?.nb_read_frames).toBe('32');
    // An MP3 frame is 1152 samples: the audio ends within one of them (and the decoder delay) of the video.
    expect(Number(probe.streams.find((x) => x.codec_type === 'audio')?.nb_read_packets)).toBeLessThan(((32 / 30) * 44100 + 1152 + 529) / 1152 + 1);
  });

  it('exit codes: mismatches and gaps are runtime errors (1), bad --segment is a usage error (2)', async () => {
    const p = (k: number) => tmpFile(`cli-part${k}.m4s`);
    const gap = await node([CLI, 'stitch', p(1), p(3), '--out', tmpFile('cli-gap.mp4')]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toMatch(
      /^mp4forge: \[SEGMENT_GAP\] frames 16–47 are missing: segment 1 of 2 \(.*cli-part1\.m4s\) ends at frame 15 and segment 2 of 2 \(.*cli-part3\.m4s\) starts at frame 48; expected it to start at frame 16\n$/,
    );
    const other = tmpFile('cli-other.m4s');
    expect(
      (
        await node([
          CLI, 'render', '--width', '128', '--height', `${H}`, '--fps', '30000/1001', '--frames', '100', '--gop', `${GOP}`, '--qp', '30', '--segment',
          '2/4', '--out', other,
        ])
      ).code,
    ).toBe(0);
    const mismatch = await node([CLI, 'stitch', p(1), other, '--out', tmpFile('cli-mm.mp4')]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(
      /^mp4forge: \[SEGMENT_MISMATCH\] segment 2 of 2 \(.*cli-other\.m4s\) does not match segment 1 of 2 \(.*\): size is 128×96, expected 160×96\n$/,
    );
    const usage: [string[], RegExp][] = [
      [
        ['render', '--frames', '40', '--gop', '8', '--segment', '4/4', '--out', 'x.m4s'],
        /\[INVALID_OPTION\] 40 frames make 3 chunks of 16 frames \(GOP 8\), too few for 4 segments/,
      ],
      [['render', '--segment', '0/4', '--out', 'x.m4s'], /--segment 0\/4: K must be from 1 to N/],
      [['render', '--segment', 'two', '--out', 'x.m4s'], /--segment expects K\/N, e.g\. 2\/8/],
      [['render', '--segment', '1/2', '--melody', '--out', 'x.m4s'], /--melody cannot be used with --segment: audio is muxed once, when stitching/],
      [['stitch', '--out', 'x.mp4'], /missing PART\.\.\.: usage: mp4forge stitch/],
      [['stitch', p(1), '--audio-length', 'loop', '--out', 'x.mp4'], /--audio-length needs --audio FILE/],
    ];
    for (const [args, message] of usage) {
      const r = await node([CLI, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = await node([CLI, 'stitch', p(1), tmpFile('nope.m4s'), '--out', tmpFile('cli-missing.mp4')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read segment 2 of 2 .*ENOENT/);
  });
});

describe('CLI: an interrupted segment', () => {
  it('SIGINT during render --segment exits 130 and leaves no partial segment', async () => {
    const out = tmpFile('cli-interrupted.m4s');
    const child = spawn(
      process.execPath,
      [CLI, 'render', '--width', '64', '--height', '64', '--frames', '1000000', '--gop', '8', '--segment', '1/2', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until fragments are on disk (in the temporary file beside the output), so there is something that must be removed.
    const temp = () => readdirSync(dirname(out)).filter((f) => f.startsWith(`.${basename(out)}.mp4forge-`));
    const size = () => (temp().length ? statSync(join(dirname(out), temp()[0]), { throwIfNoEntry: false })?.size ?? 0 : 0);
    for (let i = 0; i < 300 && size() <= 10_000; i++) await new Promise((r) => setTimeout(r, 50));
    expect(size()).toBeGreaterThan(10_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toBe(`mp4forge: interrupted by SIGINT; nothing was written to ${out}\n`);
    expect(existsSync(out)).toBe(false);
    expect(temp()).toEqual([]);
  });
});

describe('examples/serverless/segment-handler.mjs, invoked the way Lambda would', () => {
  it('handler(event, context) for k = 1..n, then stitchHandler; ffprobe sees every frame', async () => {
    const mod = (await import(new URL('../examples/serverless/segment-handler.mjs', import.meta.url).href)) as {
      handler: (event: unknown, context: unknown) => Promise<{ k: number; range: { start: number; end: number }; base64: string; key: string }>;
      stitchHandler: (event: unknown, context: unknown) => Promise<{ frames: number; base64: string; layout: string }>;
    };
    const n = 3;
    const job = { job: 'test-job', n, frames: 75, width: W, height: H, fps: 25, scene: 'bars', video: { gop: 5 } };
    const context = { awsRequestId: 'local', getRemainingTimeInMillis: () => 60_000 };
    // Invocations run concurrently and may finish in any order; an API Gateway event carries a JSON body.
    const parts = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i === 1 ? mod.handler({ body: JSON.stringify({ ...job, k: i + 1 }) }, context) : mod.handler({ ...job, k: i + 1 }, context),
      ),
    );
    expect(parts.map((p) => p.range)).toEqual([
      { start: 0, end: 20 },
      { start: 20, end: 40 },
      { start: 40, end: 75 },
    ]);
    const song = tmpFile('seg-lambda.mp3');
    ffmpegSync(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=4', '-c:a', 'libmp3lame', '-f', 'mp3', song]);
    const out = await mod.stitchHandler(
      { job: 'test-job', parts: [...parts].reverse(), layout: 'fragmented', audioBase64: readFileSync(song).toString('base64') },
      context,
    );
    const file = save('seg-lambda.mp4', Buffer.from(out.base64, 'base64'));
    const probe = await ffprobe(file, { count: true });
    expect(probe.streams.map((s) => s.codec_type)).toEqual(['video', 'audio']);
    expect(probe.streams[0].nb_read_frames).toBe('75');
    expect(Number(probe.format.duration)).toBeCloseTo(3, 1);
    expect((await ffmpegDecodeCheck(file)).stderr).toBe('');
    // -vsync 0: ffmpeg starts its output clock at the audio's first (pre-roll) sample, 25 ms before
    // the video, and would otherwise repeat the first frame to fill that.
    const frames = await decodeRgbFrames(file, W, H, ['-vsync', '0']);
    expect(frames.map((f) => readBarsCounter(f, 3, W, H))).toEqual(Array.from({ length: 75 }, (_, i) => i));
    // The same parts stitched directly give the same frames.
    const direct = await stitchSegments(parts.map((p) => Buffer.from(p.base64, 'base64')), { output: { buffer: true } });
    expect(direct.frames).toBe(75);
  });
});
