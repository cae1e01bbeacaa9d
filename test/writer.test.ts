// The core pipeline, checked end to end by independent tools: ffprobe, ffmpeg, mp4box and the
// ISO-BMFF structure validator.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createFile, type MP4BoxBuffer } from 'mp4box';
import { describe, expect, it } from 'vitest';
import { readBarsCounter } from '../src/generate/bars.js';
import { assertValidIsoBmff, readSampleTables } from './helpers/iso-validate.js';
import { decodeRgbFrames, ffmpegDecodeCheck, ffprobe, ffprobePackets, rgbPsnr } from './helpers/oracles.js';
import { renderClip, tmpFile } from './helpers/render.js';
import type { Layout } from '../src/index.js';

const layouts: Layout[] = ['faststart', 'progressive', 'fragmented'];

const cases = [
  { width: 322, height: 242, fps: { num: 30000, den: 1001 }, frames: 61, gop: 30 },
  { width: 640, height: 360, fps: 30, frames: 45, gop: 15 },
  { width: 160, height: 96, fps: 25, frames: 26, gop: 5 },
];

function fpsFraction(fps: number | { num: number; den: number }): { num: number; den: number } {
  return typeof fps === 'number' ? { num: fps, den: 1 } : fps;
}

/** mp4box's own view of the samples, for comparison with an independent reader. */
function mp4boxSamples(bytes: Uint8Array): { count: number; sizes: number[]; sync: boolean[]; dts: number[] } {
  const file = createFile();
  let info: { tracks: { id: number; nb_samples: number }[] } | undefined;
  file.onReady = (i: unknown) => {
    info = i as typeof info;
  };
  const ab = bytes.slice().buffer as MP4BoxBuffer;
  ab.fileStart = 0;
  file.appendBuffer(ab);
  file.flush();
  if (!info) throw new Error('mp4box did not parse the file');
  const track = info.tracks[0];
  const samples = (file as unknown as { getTrackSamplesInfo(id: number): { size: number; is_sync: boolean; dts: number }[] }).getTrackSamplesInfo(track.id);
  return { count: samples.length, sizes: samples.map((s) => s.size), sync: samples.map((s) => s.is_sync), dts: samples.map((s) => s.dts) };
}

describe.each(layouts)('layout %s', (layout) => {
  it.each(cases)('$width×$height @ $fps, gop $gop: frame count, duration, fps, keyframes, clean decode, tables', async (c) => {
    const { result } = await renderClip({ width: c.width, height: c.height, fps: c.fps, layout, video: { qp: 26, gop: c.gop } }, c.frames, 'bars');
    const file = tmpFile(`core-${layout}-${c.width}x${c.height}.mp4`);
    writeFileSync(file, result.data as Uint8Array);
    const { num, den } = fpsFraction(c.fps);
    expect(result.frames).toBe(c.frames);
    expect(result.bytes).toBe((result.data as Uint8Array).length);

    const probe = await ffprobe(file, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    expect(v?.codec_name).toBe('h264');
    expect(v?.width).toBe(c.width);
    expect(v?.height).toBe(c.height);
    expect(Number(v?.nb_read_frames)).toBe(c.frames);
    expect(v?.r_frame_rate).toBe(`${num}/${den}`);
    expect(v?.avg_frame_rate).toBe(`${num}/${den}`);
    expect(Number(v?.duration)).toBeCloseTo((c.frames * den) / num, 5);
    expect(v?.color_space).toBe('smpte170m');
    expect(v?.color_range).toBe('tv');

    const packets = await ffprobePackets(file);
    const keyframes = packets.map((p, i) => (p.flags.includes('K') ? i : -1)).filter((i) => i >= 0);
    const expected = Array.from({ length: Math.ceil(c.frames / c.gop) }, (_, k) => k * c.gop);
    expect(keyframes).toEqual(expected);

    const decode = await ffmpegDecodeCheck(file);
    expect(decode.stderr).toBe('');
    expect(decode.ok).toBe(true);

    const report = assertValidIsoBmff(result.data as Uint8Array);
    expect(report.fragmented).toBe(layout === 'fragmented');

    // The bars counter reads back in order after a real decode.
    const decoded = await decodeRgbFrames(file, c.width, c.height);
    expect(decoded.length).toBe(c.frames);
    expect(decoded.map((f) => readBarsCounter(f, 3, c.width, c.height))).toEqual(Array.from({ length: c.frames }, (_, i) => i));

    if (layout !== 'fragmented') {
      // mp4box and the independent validator read the same sample table.
      const ours = readSampleTables(result.data as Uint8Array)[0];
      const box = mp4boxSamples(result.data as Uint8Array);
      expect(box.count).toBe(c.frames);
      expect(box.sizes).toEqual(Array.from(ours.sizes));
      expect(box.sync.map((s, i) => (s ? i : -1)).filter((i) => i >= 0)).toEqual(expected);
      const frameTicks = (ours.timescale * den) / num;
      expect(box.dts).toEqual(Array.from({ length: c.frames }, (_, i) => i * frameTicks));
    }
  });
});

describe('picture quality', () => {
  it('gradient at qp 20 decodes with RGB PSNR ≥ 38 dB on every frame', async () => {
    const w = 640;
    const h = 360;
    const { result, sources } = await renderClip({ width: w, height: h, fps: 30, video: { qp: 20, gop: 30 } }, 20, 'gradient', true);
    const file = tmpFile('psnr-gradient.mp4');
    writeFileSync(file, result.data as Uint8Array);
    const decoded = await decodeRgbFrames(file, w, h);
    expect(decoded.length).toBe(sources.length);
    const psnr = decoded.map((d, i) => rgbPsnr(sources[i], 4, d));
    const min = Math.min(...psnr);
    console.log(`gradient 640×360 qp20: min RGB PSNR ${min.toFixed(2)} dB, mean ${(psnr.reduce((a, b) => a + b, 0) / psnr.length).toFixed(2)} dB`);
    expect(min).toBeGreaterThanOrEqual(38);
  });
});

describe('file output', () => {
  it('writes a path in every layout and the files decode', async () => {
    for (const layout of layouts) {
      const file = tmpFile(`path-${layout}.mp4`);
      const { result } = await renderClip({ width: 320, height: 240, fps: 30, layout, output: file, video: { gop: 10 } }, 25, 'plasma');
      expect(result.data).toBeUndefined();
      const bytes = readFileSync(file);
      expect(bytes.length).toBe(result.bytes);
      assertValidIsoBmff(bytes);
      const probe = await ffprobe(file, { count: true });
      expect(Number(probe.streams[0].nb_read_frames)).toBe(25);
      expect((await ffmpegDecodeCheck(file)).ok).toBe(true);
      // faststart: the moov precedes the media data
      const moov = bytes.indexOf('moov');
      const mdat = bytes.indexOf('mdat');
      if (layout === 'faststart') expect(moov).toBeLessThan(mdat);
      if (layout === 'progressive') expect(moov).toBeGreaterThan(mdat);
      expect(existsSync(file)).toBe(true);
    }
  });
});
