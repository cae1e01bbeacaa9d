// Raw H.264 streams of the own encoder for ffmpeg: Annex B from the encoder's AVCC output, the
// decode ffmpeg makes of it, and the macroblock types its decoder reports.
import { expect } from 'vitest';
import { FFMPEG, run } from './oracles.js';

/** Annex B stream (start codes) from SPS/PPS and AVCC frames. */
export function annexB(sps: Uint8Array, pps: Uint8Array, frames: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const start = new Uint8Array([0, 0, 0, 1]);
  parts.push(start, sps, start, pps);
  for (const f of frames) {
    for (let o = 0; o < f.length; ) {
      const len = ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
      parts.push(start, f.subarray(o + 4, o + 4 + len));
      o += 4 + len;
    }
  }
  return Buffer.concat(parts);
}

/** The I420 pictures ffmpeg decodes from an Annex B stream, asserting a clean decode (-xerror, nothing on stderr, exit 0). */
export async function decodeI420(stream: Uint8Array, width: number, height: number): Promise<Uint8Array[]> {
  const args = ['-hide_banner', '-v', 'error', '-xerror', '-f', 'h264', '-i', 'pipe:0'];
  args.push('-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1');
  const r = await run(FFMPEG, args, stream);
  expect(r.stderr.trim(), 'ffmpeg -xerror decodes the stream cleanly').toBe('');
  expect(r.code).toBe(0);
  const size = (width * height * 3) / 2;
  const out: Uint8Array[] = [];
  for (let o = 0; o + size <= r.stdout.length; o += size) out.push(r.stdout.subarray(o, o + size));
  return out;
}

/**
 * Macroblock types as ffmpeg's decoder reads them (-debug mb_type), one string per frame in raster
 * order: 'P' I_PCM, 'I' Intra16x16, 'i' Intra4x4, 'S' P_Skip, '>' an inter macroblock.
 */
export async function mbTypes(stream: Uint8Array, width: number, frames: number): Promise<string[]> {
  // repeat+: identical rows printed, not collapsed into 'Last message repeated'; one thread: rows in order
  const args = ['-hide_banner', '-v', 'repeat+debug', '-threads', '1', '-debug', 'mb_type'];
  const r = await run(FFMPEG, [...args, '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], stream);
  expect(r.code).toBe(0);
  const cols = Math.ceil(width / 16);
  const out: string[] = [];
  for (const line of r.stderr.split('\n')) {
    if (line.includes('New frame, type:')) out.push('');
    // a row of macroblocks: three characters each (type, partitioning, interlacing)
    const row = /^\[h264 @ [^\]]+\] (.*)$/.exec(line)?.[1];
    if (out.length === 0 || row?.length !== 3 * cols || !/^(?:[A-Za-z<>^|+\-=? ]{3})+$/.test(row)) continue;
    out[out.length - 1] += Array.from({ length: cols }, (_, i) => row[3 * i]).join('');
  }
  // the probe decodes the first frames before the decode proper: the stream's are the last ones
  expect(out.length).toBeGreaterThanOrEqual(frames);
  return out.slice(-frames);
}
