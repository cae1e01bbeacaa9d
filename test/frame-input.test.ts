// Every way of handing frames in gives the same file: the conversion to I420 happens once, in one
// place, whatever the input layout.
import { describe, expect, it } from 'vitest';
import { createMp4Writer, drawPattern, Mp4ForgeError, toI420, type Mp4WriterOptions, type PixelFormat } from '../src/index.js';
import { ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { writeFileSync } from 'node:fs';

const W = 322;
const H = 242;
const N = 12;

function sourceFrames(): Uint8Array[] {
  return Array.from({ length: N }, (_, i) => {
    const rgba = new Uint8Array(W * H * 4);
    drawPattern('plasma', rgba, W, H, i);
    return rgba;
  });
}

function asFormat(rgba: Uint8Array, format: PixelFormat): Uint8Array {
  if (format === 'rgba') return rgba;
  if (format === 'yuv420p') {
    const out = new Uint8Array((W * H * 3) / 2);
    toI420(rgba, 'rgba', W, H, out);
    return out;
  }
  const px = format === 'rgb24' ? 3 : 4;
  const out = new Uint8Array(W * H * px);
  for (let p = 0, s = 0, d = 0; p < W * H; p++, s += 4, d += px) {
    out[d] = format === 'bgra' ? rgba[s + 2] : rgba[s];
    out[d + 1] = rgba[s + 1];
    out[d + 2] = format === 'bgra' ? rgba[s] : rgba[s + 2];
    if (px === 4) out[d + 3] = rgba[s + 3];
  }
  return out;
}

const base: Mp4WriterOptions = { width: W, height: H, fps: 30, output: { buffer: true }, video: { gop: 6 } };

describe('frame inputs', () => {
  it('rgba, bgra, rgb24, yuv420p, ImageData and addFrames(callback) give byte-identical files', async () => {
    const frames = sourceFrames();
    const files: Record<string, Uint8Array> = {};
    for (const format of ['rgba', 'bgra', 'rgb24', 'yuv420p'] as const) {
      const w = await createMp4Writer({ ...base, pixelFormat: format });
      for (const f of frames) await w.addFrame(asFormat(f, format));
      files[format] = (await w.finish()).data as Uint8Array;
    }
    const wi = await createMp4Writer(base);
    for (const f of frames) await wi.addFrame({ data: new Uint8ClampedArray(f.buffer), width: W, height: H });
    files.imageData = (await wi.finish()).data as Uint8Array;
    const wc = await createMp4Writer(base);
    await wc.addFrames(N, (i, rgba) => drawPattern('plasma', rgba, W, H, i));
    files.callback = (await wc.finish()).data as Uint8Array;
    const wp = await createMp4Writer(base);
    await wp.addFrames(N, 'plasma');
    files.pattern = (await wp.finish()).data as Uint8Array;

    for (const [name, bytes] of Object.entries(files)) expect(Buffer.from(bytes).equals(Buffer.from(files.rgba)), name).toBe(true);
    const file = tmpFile('frame-input.mp4');
    writeFileSync(file, files.rgba);
    expect(Number((await ffprobe(file, { count: true })).streams[0].nb_read_frames)).toBe(N);
  });

  it('frames added in bursts without awaiting, from one buffer overwritten at once, give the file of awaited calls', async () => {
    // A frame with nothing queued ahead of it is copied straight into the encoder's input buffer;
    // one added while others wait must not be, or it would overwrite a frame not yet encoded.
    // Each burst also reuses the caller's buffer as soon as addFrame returns.
    const frames = sourceFrames();
    for (const format of ['rgba', 'bgra', 'rgb24', 'yuv420p'] as const) {
      const awaited = await createMp4Writer({ ...base, pixelFormat: format });
      for (const f of frames) await awaited.addFrame(asFormat(f, format));
      const want = (await awaited.finish()).data as Uint8Array;

      const w = await createMp4Writer({ ...base, pixelFormat: format });
      const buffer = new Uint8Array(asFormat(frames[0], format).length);
      const bursts = [1, 3, 1, 4, 2, 1];
      let i = 0;
      for (const size of bursts) {
        const pending: Promise<void>[] = [];
        for (let k = 0; k < size; k++, i++) {
          buffer.set(asFormat(frames[i], format));
          pending.push(w.addFrame(buffer));
          buffer.fill(0x55);
        }
        await Promise.all(pending);
      }
      expect(i).toBe(N);
      const got = (await w.finish()).data as Uint8Array;
      expect(Buffer.from(got).equals(Buffer.from(want)), format).toBe(true);
    }
  });

  it('frames taken straight into the encoder cross chunk boundaries intact: 40 frames in chunks of 16, awaited and in bursts, rgba and yuv420p, one file', async () => {
    // The encoder begins a new chunk (an IDR) between taking a frame and coding it: the frame it
    // holds must survive that. Every file must equal the awaited RGBA one.
    const w0 = 64;
    const h0 = 48;
    const n = 40;
    const opts: Mp4WriterOptions = { width: w0, height: h0, fps: 30, output: { buffer: true }, video: { gop: 2 } };
    const rgba = Array.from({ length: n }, (_, i) => {
      const f = new Uint8Array(w0 * h0 * 4);
      drawPattern('plasma', f, w0, h0, i);
      return f;
    });
    const yuv = rgba.map((f) => {
      const out = new Uint8Array((w0 * h0 * 3) / 2);
      toI420(f, 'rgba', w0, h0, out);
      return out;
    });
    const ref = await createMp4Writer(opts);
    for (const f of rgba) await ref.addFrame(f);
    const want = (await ref.finish()).data as Uint8Array;
    const refFile = tmpFile('frame-input-chunks.mp4');
    writeFileSync(refFile, want);
    expect(Number((await ffprobe(refFile, { count: true })).streams[0].nb_read_frames)).toBe(n);
    for (const [format, frames] of [['rgba', rgba], ['yuv420p', yuv]] as const) {
      for (const bursts of [false, true]) {
        const w = await createMp4Writer({ ...opts, pixelFormat: format });
        const buffer = new Uint8Array(frames[0].length);
        for (let i = 0; i < n; ) {
          const size = bursts ? 1 + (i % 5) : 1;
          const pending: Promise<void>[] = [];
          for (let k = 0; k < size && i < n; k++, i++) {
            buffer.set(frames[i]);
            pending.push(w.addFrame(buffer));
            buffer.fill(0x55);
          }
          await Promise.all(pending);
        }
        const got = (await w.finish()).data as Uint8Array;
        expect(Buffer.from(got).equals(Buffer.from(want)), `${format}${bursts ? ', in bursts' : ''}`).toBe(true);
      }
    }
  });

  it('a throw in a frame callback rejects with USER_CALLBACK_FAILED and the frame index, and closes the output', async () => {
    const file = tmpFile('callback-throws.mp4');
    const w = await createMp4Writer({ ...base, output: file });
    await w.addFrames(3, 'bars');
    const err = await w
      .addFrames(5, (i) => {
        if (i === 5) throw new Error('scene exploded');
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Mp4ForgeError);
    expect((err as Mp4ForgeError).code).toBe('USER_CALLBACK_FAILED');
    expect((err as Mp4ForgeError).details.frameIndex).toBe(5);
    expect((err as Mp4ForgeError).message).toMatch(/frame 5: scene exploded/);
    expect(((await w.finish().catch((e: unknown) => e)) as Mp4ForgeError).code).toBe('USER_CALLBACK_FAILED');
    const { existsSync } = await import('node:fs');
    expect(existsSync(file)).toBe(false);
  });

  it('addFrames rejects an unknown pattern or a bad count as INVALID_OPTION', async () => {
    const w = await createMp4Writer(base);
    for (const [count, draw] of [[3, 'checkerboard'], [-1, 'bars'], [1.5, 'bars']] as const) {
      const err = await w.addFrames(count, draw as 'bars').catch((e: unknown) => e);
      expect((err as Mp4ForgeError).code).toBe('INVALID_OPTION');
    }
    await w.abort();
  });

  it('an onProgress that throws is reported with the index of the last frame written', async () => {
    let reported = -1;
    const w = await createMp4Writer({
      ...base,
      onProgress: (p) => {
        reported = p.frames;
        throw new Error('ui gone');
      },
    });
    // Progress follows frames into the output, so the throw surfaces where the first ones are written.
    const err = await w.addFrames(10, 'gradient').then(() => w.finish()).catch((e: unknown) => e);
    expect((err as Mp4ForgeError).code).toBe('USER_CALLBACK_FAILED');
    expect(reported).toBeGreaterThan(0);
    expect((err as Mp4ForgeError).details.frameIndex).toBe(reported - 1);
  });
});
