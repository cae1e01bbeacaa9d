// Declared bitrates (issue 14, item 18): the video `btrt` box and the audio esds
// DecoderConfigDescriptor carry bufferSizeDB, maxBitrate and avgBitrate. Read back with the
// independent ISO-BMFF reader and checked against the samples themselves (stsz sizes, stts
// durations) and against ffprobe, which reads the esds average as the audio stream's bit_rate.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, type Layout } from '../src/index.js';
import { assertValidIsoBmff, type Bitrates, type TrackTables } from './helpers/iso-validate.js';
import { FFMPEG, ffprobe, run } from './helpers/oracles.js';

let dir: string;
let vbrMp3: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp4forge-btrt-'));
  // VBR, with a quiet second in the middle: the per-second rate varies a lot.
  const path = join(dir, 'vbr.mp3');
  const expr = "if(between(t,1.5,2.5),0.001,0.4)*sin(2*PI*(300+900*t)*t)+if(between(t,1.5,2.5),0,0.1)*(random(0)-0.5)";
  const source = `aevalsrc=exprs='${expr}':s=44100:d=4.2`;
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-ac', '2', '-c:a', 'libmp3lame', '-q:a', '2', path]);
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  vbrMp3 = new Uint8Array(readFileSync(path));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the samples say: average over the track, per-second peaks, largest sample. */
function measured(t: TrackTables): { avg: number; alignedMax: number; slidingMax: number; largest: number } {
  const ts = t.timescale;
  const starts: number[] = [];
  let time = 0;
  for (const d of t.decodeDeltas) {
    starts.push(time);
    time += d;
  }
  const bytes = t.sizes.reduce((a, b) => a + b, 0);
  // Whole seconds from the start of the track.
  const perSecond = new Map<number, number>();
  t.sizes.forEach((s, i) => perSecond.set(Math.floor(starts[i] / ts), (perSecond.get(Math.floor(starts[i] / ts)) ?? 0) + s));
  // Any one-second window starting on a sample.
  let slidingMax = 0;
  for (let i = 0, j = 0, sum = 0; i < t.sizes.length; i++) {
    while (j < t.sizes.length && starts[j] < starts[i] + ts) sum += t.sizes[j++];
    slidingMax = Math.max(slidingMax, sum * 8);
    sum -= t.sizes[i];
  }
  return { avg: (bytes * 8 * ts) / time, alignedMax: Math.max(...[...perSecond.values()].map((b) => b * 8)), slidingMax, largest: Math.max(...t.sizes) };
}

function expectBitrates(label: string, declared: Bitrates | null, t: TrackTables, probed: number): void {
  expect(declared, `${label}: bitrates present`).not.toBeNull();
  const d = declared as Bitrates;
  const m = measured(t);
  expect(Math.abs(d.avg - m.avg), `${label}: avgBitrate ${d.avg} vs bytes × 8 ÷ duration = ${m.avg.toFixed(1)}`).toBeLessThanOrEqual(1);
  expect(Math.abs(probed - m.avg), `${label}: ffprobe bit_rate ${probed}`).toBeLessThanOrEqual(1);
  // maxBitrate: the peak over one-second windows. At least every whole second's rate and the
  // average, and no more than the busiest window found anywhere (or the average, for short tracks).
  expect(d.max, `${label}: maxBitrate ${d.max} ≥ busiest whole second ${m.alignedMax}`).toBeGreaterThanOrEqual(m.alignedMax);
  expect(d.max).toBeGreaterThanOrEqual(d.avg);
  expect(d.max, `${label}: maxBitrate ${d.max} ≤ busiest window ${m.slidingMax}`).toBeLessThanOrEqual(Math.max(m.slidingMax, d.avg));
  expect(d.bufferSize, `${label}: bufferSizeDB holds the largest sample`).toBe(m.largest);
}

describe('btrt and esds bitrates match the samples', () => {
  it.each(['faststart', 'progressive'] as const)('%s: video btrt and audio esds', async (layout: Layout) => {
    const w = await createMp4Writer({ width: 96, height: 64, fps: 15, output: { buffer: true }, layout, audio: vbrMp3, video: { gop: 15 } });
    // Busy frames for a second, then calm ones: the per-second video rate varies too.
    await w.addFrames(15, 'gradient');
    await w.addFrames(15, 'noise');
    await w.addFrames(30, 'gradient');
    const bytes = (await w.finish()).data as Uint8Array;
    const file = join(dir, `btrt-${layout}.mp4`);
    writeFileSync(file, bytes);
    const report = assertValidIsoBmff(bytes);
    const video = report.tracks.find((t) => t.handler === 'vide') as TrackTables;
    const sound = report.tracks.find((t) => t.handler === 'soun') as TrackTables;
    const streams = (await ffprobe(file)).streams;
    const rate = (kind: string): number => Number(streams.find((s) => s.codec_type === kind)?.bit_rate);
    // The track rates really differ from one second to the next, or max = avg would pass.
    expect(measured(video).alignedMax).toBeGreaterThan(1.5 * measured(video).avg);
    expect(measured(sound).alignedMax).toBeGreaterThan(1.2 * measured(sound).avg);
    expectBitrates('video btrt', video.btrt, video, rate('video'));
    expectBitrates('audio esds', sound.audio?.bitrates ?? null, sound, rate('audio'));
  });
});
