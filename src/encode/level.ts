// The H.264 level a stream needs (ITU-T H.264 Table A-1): the lowest level whose frame size
// (MaxFS, with each side at most sqrt(8 * MaxFS) macroblocks), macroblock rate (MaxMBPS) and,
// when a target bitrate is known, MaxBR all hold. Used for the SPS and avcC of every backend.

interface LevelLimits {
  /** level_idc */
  idc: number;
  maxMbps: number;
  maxFs: number;
  /** MaxBR in kbit/s for Baseline/Main (cpbBrVclFactor 1000). */
  maxBr: number;
  /** Vertical motion vector range, full samples: [-maxVmv, maxVmv - 0.25] (Table A-1 MaxVmvR). */
  maxVmv: number;
}

const LEVELS: readonly LevelLimits[] = [
  { idc: 10, maxMbps: 1485, maxFs: 99, maxBr: 64, maxVmv: 64 },
  { idc: 11, maxMbps: 3000, maxFs: 396, maxBr: 192, maxVmv: 128 },
  { idc: 12, maxMbps: 6000, maxFs: 396, maxBr: 384, maxVmv: 128 },
  { idc: 13, maxMbps: 11880, maxFs: 396, maxBr: 768, maxVmv: 128 },
  { idc: 20, maxMbps: 11880, maxFs: 396, maxBr: 2000, maxVmv: 128 },
  { idc: 21, maxMbps: 19800, maxFs: 792, maxBr: 4000, maxVmv: 256 },
  { idc: 22, maxMbps: 20250, maxFs: 1620, maxBr: 4000, maxVmv: 256 },
  { idc: 30, maxMbps: 40500, maxFs: 1620, maxBr: 10000, maxVmv: 256 },
  { idc: 31, maxMbps: 108000, maxFs: 3600, maxBr: 14000, maxVmv: 512 },
  { idc: 32, maxMbps: 216000, maxFs: 5120, maxBr: 20000, maxVmv: 512 },
  { idc: 40, maxMbps: 245760, maxFs: 8192, maxBr: 20000, maxVmv: 512 },
  { idc: 41, maxMbps: 245760, maxFs: 8192, maxBr: 50000, maxVmv: 512 },
  { idc: 42, maxMbps: 522240, maxFs: 8704, maxBr: 50000, maxVmv: 512 },
  { idc: 50, maxMbps: 589824, maxFs: 22080, maxBr: 135000, maxVmv: 512 },
  { idc: 51, maxMbps: 983040, maxFs: 36864, maxBr: 240000, maxVmv: 512 },
  { idc: 52, maxMbps: 2073600, maxFs: 36864, maxBr: 240000, maxVmv: 512 },
];

export interface H264Level {
  /** level_idc: 10 × the level number (3.1 → 31). */
  idc: number;
  /** The largest vertical vector component, in full samples, that the level allows. */
  maxVmv: number;
}

/**
 * The lowest level for `width` x `height` at `fpsNum / fpsDen` frames per second (and `kbps`, when
 * set). Frames beyond level 5.2 (more than 36,864 macroblocks or 2,073,600 macroblocks per
 * second) get 5.2, the highest level mp4forge writes.
 */
export function h264Level(width: number, height: number, fpsNum: number, fpsDen: number, kbps = 0): H264Level {
  const mbw = Math.ceil(width / 16);
  const mbh = Math.ceil(height / 16);
  const fs = mbw * mbh;
  const mbps = (fs * fpsNum) / fpsDen;
  for (const l of LEVELS) {
    const side = Math.sqrt(8 * l.maxFs);
    if (fs <= l.maxFs && mbw <= side && mbh <= side && mbps <= l.maxMbps && kbps <= l.maxBr) return { idc: l.idc, maxVmv: l.maxVmv };
  }
  const top = LEVELS[LEVELS.length - 1];
  return { idc: top.idc, maxVmv: top.maxVmv };
}
