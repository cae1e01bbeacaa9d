// h264Level() at the edges of every row of ITU-T H.264 Table A-1. The rows below are typed from
// the Recommendation (MaxMBPS, MaxFS, MaxBR for Baseline/Main in 1000 bit/s, MaxVmvR in luma
// frame samples; the same values as ffmpeg's libavcodec/h264_levels.c), not taken from
// src/encode/level.ts. For each row, frames exactly at its limits must get that row's level (or a
// lower one that also holds them), and a row of macroblocks, one macroblock per second or one
// kbit/s more must not. The level found is checked against a lookup written here from the rule of
// A.3.1 (sides compared squared, rates cross-multiplied, so no floating point), on frame sizes
// that are not multiples of 16 too (a partial macroblock counts as a whole one).
import { describe, expect, it } from 'vitest';
import { h264Level } from '../src/encode/level.js';

interface Row {
  idc: number;
  maxMbps: number;
  maxFs: number;
  maxBr: number;
  maxVmvR: number;
}

// Table A-1 without level 1b (mp4forge never signals it) and the levels above 5.2.
const TABLE_A1: readonly Row[] = [
  { idc: 10, maxMbps: 1485, maxFs: 99, maxBr: 64, maxVmvR: 64 },
  { idc: 11, maxMbps: 3000, maxFs: 396, maxBr: 192, maxVmvR: 128 },
  { idc: 12, maxMbps: 6000, maxFs: 396, maxBr: 384, maxVmvR: 128 },
  { idc: 13, maxMbps: 11880, maxFs: 396, maxBr: 768, maxVmvR: 128 },
  { idc: 20, maxMbps: 11880, maxFs: 396, maxBr: 2000, maxVmvR: 128 },
  { idc: 21, maxMbps: 19800, maxFs: 792, maxBr: 4000, maxVmvR: 256 },
  { idc: 22, maxMbps: 20250, maxFs: 1620, maxBr: 4000, maxVmvR: 256 },
  { idc: 30, maxMbps: 40500, maxFs: 1620, maxBr: 10000, maxVmvR: 256 },
  { idc: 31, maxMbps: 108000, maxFs: 3600, maxBr: 14000, maxVmvR: 512 },
  { idc: 32, maxMbps: 216000, maxFs: 5120, maxBr: 20000, maxVmvR: 512 },
  { idc: 40, maxMbps: 245760, maxFs: 8192, maxBr: 20000, maxVmvR: 512 },
  { idc: 41, maxMbps: 245760, maxFs: 8192, maxBr: 50000, maxVmvR: 512 },
  { idc: 42, maxMbps: 522240, maxFs: 8704, maxBr: 50000, maxVmvR: 512 },
  { idc: 50, maxMbps: 589824, maxFs: 22080, maxBr: 135000, maxVmvR: 512 },
  { idc: 51, maxMbps: 983040, maxFs: 36864, maxBr: 240000, maxVmvR: 512 },
  { idc: 52, maxMbps: 2073600, maxFs: 36864, maxBr: 240000, maxVmvR: 512 },
];

interface Case {
  width: number;
  height: number;
  num: number;
  den: number;
  kbps: number;
}

/** The lowest row that holds the case, else the last (5.2, the highest mp4forge writes). */
function lowestRow(c: Case): Row {
  const w = Math.ceil(c.width / 16);
  const h = Math.ceil(c.height / 16);
  const fs = w * h;
  const fits = (r: Row) =>
    fs <= r.maxFs && w * w <= 8 * r.maxFs && h * h <= 8 * r.maxFs && fs * c.num <= r.maxMbps * c.den && c.kbps <= r.maxBr;
  return TABLE_A1.find(fits) ?? TABLE_A1[TABLE_A1.length - 1];
}

/** A frame of exactly `mbs` macroblocks, as near square as divisors allow, its height `cut` rows short of whole macroblocks. */
function frameOf(mbs: number, cut: number): { width: number; height: number } {
  let w = Math.floor(Math.sqrt(mbs));
  while (mbs % w !== 0) w--;
  const h = mbs / w;
  const [mw, mh] = w >= h ? [w, h] : [h, w];
  return { width: 16 * mw, height: 16 * mh - cut };
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const r of TABLE_A1) {
    for (const cut of [0, 2, 14]) {
      // Exactly MaxFS macroblocks at exactly MaxMBPS (rate = MaxMBPS / MaxFS), then a row of
      // macroblocks more (the rate kept), then one macroblock per second more.
      const { width, height } = frameOf(r.maxFs, cut);
      out.push({ width, height, num: r.maxMbps, den: r.maxFs, kbps: 0 });
      out.push({ width, height: height + 16, num: r.maxMbps, den: r.maxFs, kbps: 0 });
      out.push({ width, height, num: r.maxMbps + 1, den: r.maxFs, kbps: 0 });
      // All three limits met exactly at once (1.3 and 2 share MaxFS and MaxMBPS: only MaxBR tells them apart).
      out.push({ width, height, num: r.maxMbps, den: r.maxFs, kbps: r.maxBr });
      // The smallest frame at MaxBR, then 1 kbit/s more.
      out.push({ width: 16, height: 16 - cut, num: 1, den: 1, kbps: r.maxBr });
      out.push({ width: 16, height: 16 - cut, num: 1, den: 1, kbps: r.maxBr + 1 });
    }
    // One row of macroblocks as wide as sqrt(8 × MaxFS) allows, and one more.
    const side = Math.floor(Math.sqrt(8 * r.maxFs));
    out.push({ width: 16 * side, height: 16, num: 1, den: 1, kbps: 0 });
    out.push({ width: 16 * side + 2, height: 16, num: 1, den: 1, kbps: 0 });
    out.push({ width: 16, height: 16 * side, num: 1, den: 1, kbps: 0 });
    out.push({ width: 16, height: 16 * side + 2, num: 1, den: 1, kbps: 0 });
  }
  return out;
}

describe('h264Level() at the limits of ITU-T H.264 Table A-1', () => {
  it('gives the lowest level whose MaxFS, side limit, MaxMBPS and MaxBR all hold, with its MaxVmvR', () => {
    const all = cases();
    // The cases reach every row: each row is the answer for some of them.
    expect(new Set(all.map((c) => lowestRow(c).idc)).size).toBe(TABLE_A1.length);
    for (const c of all) {
      const want = lowestRow(c);
      const got = h264Level(c.width, c.height, c.num, c.den, c.kbps);
      expect(got, `${c.width}×${c.height} at ${c.num}/${c.den} fps, ${c.kbps} kbit/s`).toEqual({ idc: want.idc, maxVmv: want.maxVmvR });
    }
  });

  it('hand-checked edges', () => {
    // 176×144 (99 MBs) at 15 fps is 1,485 MB/s: level 1 by size and rate; 384 kbit/s is level 1.2's MaxBR.
    expect(h264Level(176, 144, 15, 1, 384).idc).toBe(12);
    expect(h264Level(176, 144, 15, 1, 385).idc).toBe(13);
    // 1920×1088 and 1920×1090: 120 × 68 = 8,160 MBs (level 4), 120 × 69 = 8,280 (over 4.1's 8,192: level 4.2).
    expect(h264Level(1920, 1088, 30, 1).idc).toBe(40);
    expect(h264Level(1920, 1090, 30, 1).idc).toBe(42);
    // 8,704 MBs (4.2's MaxFS) at 60 fps: 522,240 MB/s, 4.2's MaxMBPS exactly.
    expect(h264Level(2176, 1024, 60, 1).idc).toBe(42);
    // 640×360 at 30 fps (27,600 MB/s) at level 3's MaxBR, and 1 kbit/s above it.
    expect(h264Level(640, 360, 30, 1, 10000).idc).toBe(30);
    expect(h264Level(640, 360, 30, 1, 10001).idc).toBe(31);
    // 4096×2304 (36,864 MBs) at 60 fps is 2,211,840 MB/s, beyond level 5.2: 5.2, the highest written.
    expect(h264Level(4096, 2304, 60, 1)).toEqual({ idc: 52, maxVmv: 512 });
    // Level 3 allows vertical vectors in [-256, 255.75]; level 3.1 in [-512, 511.75].
    expect(h264Level(720, 480, 30, 1)).toEqual({ idc: 30, maxVmv: 256 });
    expect(h264Level(720, 480, 31, 1)).toEqual({ idc: 31, maxVmv: 512 });
  });
});
