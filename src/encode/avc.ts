// Pure helpers for H.264 in ISO-BMFF form (AVCC): NAL unit types, avcC records.
import { Mp4ForgeError } from '../errors.js';

export const NAL_SLICE = 1;
export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;

/** What the muxer needs to describe an H.264 stream (the avcC contents plus picture size). */
export interface AvcConfig {
  sps: Uint8Array[];
  pps: Uint8Array[];
  profile: number;
  compatibility: number;
  level: number;
}

/** Parses an AVCDecoderConfigurationRecord (the payload of an `avcC` box). */
export function parseAvcC(p: Uint8Array): AvcConfig {
  const fail = (why: string) => new Mp4ForgeError('ENCODER_FAILED', `Encoder produced an unreadable avcC record: ${why}`);
  if (p.length < 7 || p[0] !== 1) throw fail('expected configurationVersion 1');
  // Each list: 16-bit length, then the NAL unit.
  const readList = (o: number, count: number, what: string): [Uint8Array[], number] => {
    const list: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (o + 2 > p.length) throw fail(`truncated ${what} list`);
      const len = (p[o] << 8) | p[o + 1];
      if (o + 2 + len > p.length) throw fail(`${what} overruns the record`);
      list.push(p.slice(o + 2, o + 2 + len));
      o += 2 + len;
    }
    return [list, o];
  };
  const [sps, afterSps] = readList(6, p[5] & 0x1f, 'SPS');
  if (afterSps >= p.length) throw fail('missing PPS count');
  const [pps] = readList(afterSps + 1, p[afterSps], 'PPS');
  if (sps.length === 0 || pps.length === 0) throw fail('expected at least one SPS and one PPS');
  return { sps, pps, profile: p[1], compatibility: p[2], level: p[3] };
}

/** Serialises an AVCDecoderConfigurationRecord with 4-byte NAL lengths. Baseline needs no extension fields. */
export function buildAvcC(c: AvcConfig): Uint8Array {
  let size = 7;
  for (const s of [...c.sps, ...c.pps]) size += 2 + s.length;
  const out = new Uint8Array(size);
  out.set([1, c.profile, c.compatibility, c.level, 0xfc | 3 /* lengthSizeMinusOne = 3 */, 0xe0 | c.sps.length]);
  const writeList = (o: number, list: Uint8Array[]): number => {
    for (const s of list) {
      out[o] = s.length >> 8;
      out[o + 1] = s.length & 0xff;
      out.set(s, o + 2);
      o += 2 + s.length;
    }
    return o;
  };
  const afterSps = writeList(6, c.sps);
  out[afterSps] = c.pps.length;
  writeList(afterSps + 1, c.pps);
  return out;
}

export function sameAvcConfig(a: AvcConfig, b: AvcConfig): boolean {
  const eq = (x: Uint8Array[], y: Uint8Array[]) =>
    x.length === y.length && x.every((v, i) => v.length === y[i].length && v.every((byte, j) => byte === y[i][j]));
  return eq(a.sps, b.sps) && eq(a.pps, b.pps);
}

/**
 * The same stream configuration at H.264 level `levelIdc`: level_idc is the fourth byte of an SPS
 * NAL unit (after the header, profile_idc and the constraint flags), and the avcC repeats it.
 */
export function withLevel(c: AvcConfig, levelIdc: number): AvcConfig {
  const sps = c.sps.map((s) => {
    const out = s.slice();
    out[3] = levelIdc;
    return out;
  });
  return { ...c, sps, level: levelIdc };
}
