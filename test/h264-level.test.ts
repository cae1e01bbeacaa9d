// The H.264 level of every stream mp4forge writes is the lowest one whose limits hold the frame
// size (MaxFS, and each side at most sqrt(8 × MaxFS) macroblocks), the macroblock rate (MaxMBPS)
// and the bitrate when it is known (MaxBR) — ITU-T H.264 Table A-1. Checked on the pure function
// against the cases the issue lists, and in written files (avcC and SPS, read by ffprobe) for both
// backends that write files here; avcC's profile, compatibility and level bytes equal the SPS's.
import { describe, expect, it } from 'vitest';
import { h264Level } from '../src/encode/level.js';
import { createMp4Writer, type EncoderId } from '../src/index.js';
import { readSampleTables } from './helpers/iso-validate.js';
import { ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { writeFileSync } from 'node:fs';

// [width, height, fpsNum, fpsDen, kbps, level_idc needed]
const CASES: [number, number, number, number, number, number][] = [
  [320, 240, 30, 1, 0, 13], // 300 MBs fit level 1.1 by size, but 9,000 MB/s needs 1.3
  [640, 360, 30000, 1001, 0, 30], // 920 MBs fit 2.2 by size; 27,572 MB/s needs 3.0
  [1280, 720, 60, 1, 0, 32], // 216,000 MB/s
  [1920, 1080, 60, 1, 0, 42], // 489,600 MB/s, 8,160 MBs
  [4096, 2304, 30, 1, 0, 52], // 1,105,920 MB/s
  [1920, 1080, 30, 1, 0, 40],
  [176, 144, 15, 1, 0, 10],
  [640, 360, 30, 1, 12000, 31], // 12 Mbit/s is beyond level 3's 10
  [4096, 16, 1, 1, 0, 40], // 256 MBs wide: sqrt(8 × MaxFS) >= 256 first at level 4
];

describe('H.264 level from frame size, frame rate and bitrate', () => {
  it('h264Level() gives the level Table A-1 requires', () => {
    for (const [w, h, num, den, kbps, level] of CASES) expect(h264Level(w, h, num, den, kbps).idc, `${w}x${h}@${num}/${den} ${kbps} kbit/s`).toBe(level);
  });

  for (const encoder of ['wasm', 'h264-mp4-encoder'] as EncoderId[]) {
    it(`files written by encoder '${encoder}' carry that level (ffprobe reads it from the SPS)`, async () => {
      for (const [w, h, num, den, kbps, level] of [CASES[0], CASES[1], [1280, 720, 60, 1, 0, 32]] as const) {
        const video = { encoder, ...(kbps ? { kbps } : {}) };
        const writer = await createMp4Writer({ width: w, height: h, fps: { num, den }, output: { buffer: true }, video });
        await writer.addFrames(2, 'plasma');
        const { data, videoEncoder } = await writer.finish();
        expect(videoEncoder).toBe(encoder);
        const file = tmpFile(`level-${encoder}-${w}x${h}-${num}.mp4`);
        writeFileSync(file, data as Uint8Array);
        const probe = await ffprobe(file);
        expect(probe.streams[0].profile).toBe(encoder === 'wasm' ? 'Constrained Baseline' : 'Baseline');
        expect((probe.streams[0] as { level?: number }).level, `${w}x${h}@${num}/${den}`).toBe(level);
        // avcC's profile, compatibility and level bytes are the SPS's (ISO/IEC 14496-15 5.3.3.1.2).
        const avc = readSampleTables(data as Uint8Array)[0].avc;
        expect([avc?.profile, avc?.compatibility, avc?.level]).toEqual([...(avc?.sps[0] ?? new Uint8Array(0)).subarray(1, 4)]);
      }
    });
  }
});
