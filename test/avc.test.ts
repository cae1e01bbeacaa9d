// src/encode/avc.ts against ffmpeg's libx264: the avcC record ffmpeg's MP4 muxer writes for a
// Baseline stream, and the SPS and PPS of the same stream as Annex B (h264_mp4toannexb), which
// neither our muxer nor our parser reads. level_idc is the fourth byte of an SPS NAL unit (H.264
// 7.3.2.1.1: the NAL header, profile_idc, the constraint flags, then level_idc).
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAvcC, parseAvcC, sameAvcConfig, withLevel, type AvcConfig } from '../src/encode/avc.js';
import { FFMPEG, run } from './helpers/oracles.js';
import { thrown } from './helpers/rejection.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('mp4forge-avc-');

/** The avcC box's payload in an MP4 file. */
function avcCPayload(mp4: Uint8Array): Uint8Array {
  const at = Buffer.from(mp4.buffer, mp4.byteOffset, mp4.length).indexOf('avcC');
  const size = new DataView(mp4.buffer, mp4.byteOffset).getUint32(at - 4);
  return mp4.slice(at + 4, at - 4 + size);
}

/** The NAL units of an Annex B stream (start codes and the zero byte of 4-byte ones dropped). */
function annexBUnits(b: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) starts.push(i + 3);
  return starts.map((s, k) => {
    let e = k + 1 < starts.length ? starts[k + 1] - 3 : b.length;
    while (e > s && b[e - 1] === 0) e--;
    return b.slice(s, e);
  });
}


let record: Uint8Array;
let sps: Uint8Array;
let pps: Uint8Array;

beforeAll(async () => {
  const file = join(dir, 'x264.mp4');
  const enc = await run(FFMPEG, [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10', '-frames:v', '3',
    '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-y', file,
  ]);
  expect(enc.code, enc.stderr).toBe(0);
  record = avcCPayload(new Uint8Array(readFileSync(file))); // a copy: Buffer's slice() is a view
  const annexB = await run(FFMPEG, ['-v', 'error', '-i', file, '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', 'pipe:1']);
  expect(annexB.code, annexB.stderr).toBe(0);
  const units = annexBUnits(new Uint8Array(annexB.stdout));
  sps = units.find((u) => (u[0] & 0x1f) === 7) as Uint8Array;
  pps = units.find((u) => (u[0] & 0x1f) === 8) as Uint8Array;
  expect(sps[1]).toBe(66); // Baseline: an avcC without the High-profile extension fields
});

describe('avcC records (ISO/IEC 14496-15 5.3.3.1) against ffmpeg', () => {
  it("parseAvcC reads ffmpeg's record: the stream's SPS and PPS, and the SPS's profile, compatibility and level bytes", () => {
    const c = parseAvcC(record);
    expect(c.sps).toEqual([sps]);
    expect(c.pps).toEqual([pps]);
    expect([c.profile, c.compatibility, c.level]).toEqual([sps[1], sps[2], sps[3]]);
  });

  it("buildAvcC writes ffmpeg's record byte for byte (4-byte NAL lengths: 0xff; one SPS: 0xe1)", () => {
    expect(record[4]).toBe(0xff);
    expect(record[5]).toBe(0xe1);
    expect(buildAvcC({ sps: [sps], pps: [pps], profile: sps[1], compatibility: sps[2], level: sps[3] })).toEqual(record);
  });

  it('refuses every truncated record with ENCODER_FAILED, naming what is missing', () => {
    for (let n = 0; n < record.length; n++) expect(thrown(() => parseAvcC(record.subarray(0, n))).code, `${n} bytes`).toBe('ENCODER_FAILED');
    const afterSps = 6 + 2 + sps.length;
    expect(thrown(() => parseAvcC(record.subarray(0, afterSps))).message).toMatch(/missing PPS count/);
    expect(thrown(() => parseAvcC(record.subarray(0, 7))).message).toMatch(/truncated SPS list/);
    expect(thrown(() => parseAvcC(record.subarray(0, 8))).message).toMatch(/SPS overruns the record/);
    expect(thrown(() => parseAvcC(record.subarray(0, afterSps + 2))).message).toMatch(/truncated PPS list/);
    expect(thrown(() => parseAvcC(record.subarray(0, record.length - 1))).message).toMatch(/PPS overruns the record/);
    const v0 = record.slice();
    v0[0] = 0;
    expect(thrown(() => parseAvcC(v0)).message).toMatch(/configurationVersion 1/);
  });
});

describe('level_idc rewrites', () => {
  const config = (): AvcConfig => parseAvcC(record);

  it('withLevel changes level_idc in the SPS and the record, and nothing else', () => {
    const c = config();
    const to = sps[3] === 31 ? 32 : 31;
    const w = withLevel(c, to);
    const want = sps.slice();
    want[3] = to;
    expect(w.sps).toEqual([want]);
    expect(w.pps).toEqual([pps]);
    expect([w.profile, w.compatibility, w.level]).toEqual([sps[1], sps[2], to]);
    expect(c.sps[0]).toEqual(sps); // the input is not changed
  });

  it('sameAvcConfig compares the SPS and the PPS', () => {
    const c = config();
    expect(sameAvcConfig(c, parseAvcC(record.slice()))).toBe(true);
    const otherPps = pps.slice();
    otherPps[otherPps.length - 1] ^= 1;
    expect(sameAvcConfig(c, { ...c, pps: [otherPps] })).toBe(false);
    expect(sameAvcConfig(c, { ...c, pps: [pps, pps] })).toBe(false);
    expect(sameAvcConfig(c, withLevel(c, sps[3] + 1))).toBe(false);
  });
});
