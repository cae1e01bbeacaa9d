// The structural validator must accept real muxer output and must fail on targeted corruptions.
// Reference files come from the npm ffmpeg (an independent muxer); positive byte-level rewrites are
// cross-checked by ffmpeg decoding them, so "validator accepts" is never the only evidence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegDecodeCheck, ffmpegSync, ffprobePackets } from './helpers/oracles';
import { assertValidIsoBmff, readSampleTables, validateIsoBmff, type BoxNode, type IsoReport } from './helpers/iso-validate';
import { lcg } from './helpers/random';

let dir = '';
const files: Record<string, string> = {};
const data: Record<string, Uint8Array> = {};

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'];
const X264 = ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '25', '-pix_fmt', 'yuv420p'];
const MP3 = ['-c:a', 'libmp3lame', '-b:a', '64k'];
const FRAG = ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'];

const REFERENCES: Record<string, string[]> = {
  vFast: [...VIDEO, '-t', '3', ...X264, '-movflags', '+faststart'],
  vPlain: [...VIDEO, '-t', '3', ...X264],
  vFrag: [...VIDEO, '-t', '3', ...X264, ...FRAG],
  avFast: [...VIDEO, ...AUDIO, '-t', '3', ...X264, ...MP3, '-movflags', '+faststart'],
  avPlain: [...VIDEO, ...AUDIO, '-t', '3', ...X264, ...MP3],
  avFrag: [...VIDEO, ...AUDIO, '-t', '3', ...X264, ...MP3, ...FRAG],
  // B-frames: ctts and an edit list with media_time > 0.
  bFrames: [...VIDEO, '-t', '3', '-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-g', '30', '-pix_fmt', 'yuv420p'],
  // Without default_base_moof: the implicit data base (moof start, then end of previous traf data).
  bFragImplicitBase: [
    ...VIDEO, '-t', '3', '-c:v', 'libx264', '-profile:v', 'main', '-bf', '2', '-g', '30', '-pix_fmt', 'yuv420p', '-movflags',
    'frag_keyframe+empty_moov',
  ],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iso-validate-'));
  for (const [name, args] of Object.entries(REFERENCES)) {
    files[name] = join(dir, `${name}.mp4`);
    ffmpegSync([...args, files[name]]);
    data[name] = new Uint8Array(readFileSync(files[name]));
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers for byte surgery (locations come from the box tree; the checks come from the validator)

function findBox(boxes: BoxNode[], path: string): BoxNode {
  for (const b of boxes) {
    if (b.path === path) return b;
    if (path.startsWith(`${b.path}/`)) return findBox(b.children, path);
  }
  throw new Error(`test setup: no box ${path}`);
}
function ancestors(boxes: BoxNode[], path: string): BoxNode[] {
  const chain: BoxNode[] = [];
  let level = boxes;
  for (;;) {
    const b = level.find((x) => x.path === path || path.startsWith(`${x.path}/`));
    if (!b) throw new Error(`test setup: no box ${path}`);
    if (b.path === path) return chain;
    chain.push(b);
    level = b.children;
  }
}
const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off);
const setU32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(off, v);

/** Copies `src`, applies `fn` with the copy's box tree, validates the result. */
function mutate(src: Uint8Array, fn: (b: Uint8Array, box: (path: string) => BoxNode) => Uint8Array | void): IsoReport {
  const copy = src.slice();
  const tree = validateIsoBmff(src).boxes;
  const out = fn(copy, (p) => findBox(tree, p)) ?? copy;
  return validateIsoBmff(out);
}

/**
 * Replaces (or removes) one box and fixes every ancestor's size. Only legal where no sample data
 * follows the box (moov after mdat), since chunk offsets are left alone.
 */
function spliceBox(src: Uint8Array, path: string, replacement: Uint8Array | null): Uint8Array {
  const tree = validateIsoBmff(src).boxes;
  const target = findBox(tree, path);
  const firstMdat = tree.find((b) => b.type === 'mdat');
  if (!firstMdat || firstMdat.offset > target.offset) throw new Error('test setup: splice before mdat would move sample data');
  const rep = replacement ?? new Uint8Array(0);
  const delta = rep.length - target.size;
  const out = new Uint8Array(src.length + delta);
  out.set(src.subarray(0, target.offset), 0);
  out.set(rep, target.offset);
  out.set(src.subarray(target.offset + target.size), target.offset + rep.length);
  for (const a of ancestors(tree, path)) {
    if (a.headerSize !== 8) throw new Error('test setup: ancestor with a 64-bit size');
    setU32(out, a.offset, u32(out, a.offset) + delta);
  }
  return out;
}

function expectError(report: IsoReport, re: RegExp): void {
  expect(report.errors.some((e) => re.test(e)), `expected an error matching ${re}; got:\n${report.errors.join('\n')}`).toBe(true);
}

const VIDEO_STBL = 'moov/trak[1]/mdia/minf/stbl';

// ---------------------------------------------------------------------------------------------

describe('validator accepts ffmpeg reference files', () => {
  for (const name of ['vFast', 'vPlain', 'vFrag', 'bFrames', 'bFragImplicitBase']) {
    it(`${name}: no errors`, () => {
      const r = validateIsoBmff(data[name]);
      if (r.warnings.length) console.log(`${name} warnings:\n  ${r.warnings.join('\n  ')}`);
      expect(r.errors).toEqual([]);
      expect(r.fragmented).toBe(name.includes('Frag'));
      expect(r.tracks).toHaveLength(1);
      const t = r.tracks[0];
      expect(t.handler).toBe('vide');
      expect(t.sampleEntry).toBe('avc1');
      expect(t.sampleCount).toBe(75);
      expect(t.avc?.lengthSize).toBe(4);
      expect(t.avc?.width).toBe(160);
    });
  }

  it('audio+video progressive (faststart and not): only the known ffmpeg tkhd-vs-edit-list deviation', () => {
    for (const name of ['avFast', 'avPlain']) {
      const r = validateIsoBmff(data[name]);
      if (r.warnings.length) console.log(`${name} warnings:\n  ${r.warnings.join('\n  ')}`);
      // ISO 14496-12 §8.3.2: with an edit list, tkhd duration equals the sum of the edits. ffmpeg
      // writes the whole media duration (priming included) instead: 1105 + 132300 samples at
      // 44.1 kHz rounded up to ms = 3026, while the gapless edit covers 3000 ms.
      expect(r.errors).toEqual(['moov/trak[2]/tkhd: duration 3026 != sum of edit segment_durations 3000 (mvhd timescale)']);
      const a = r.tracks[1];
      expect(a.handler).toBe('soun');
      expect(a.sampleEntry).toBe('mp4a');
      expect(a.audio?.objectTypeIndication).toBe(0x6b);
      expect(a.audio?.streamTypeByte).toBe(0x15);
      expect(a.edits).toEqual([{ segmentDuration: 3000, mediaTime: 1105, mediaRate: 1 }]);
      expect(Math.ceil((a.mdhdDuration * 1000) / a.timescale)).toBe(a.tkhdDuration);
    }
  });

  it('audio+video fragmented: only the known ffmpeg next_track_ID deviation', () => {
    const r = validateIsoBmff(data.avFrag);
    if (r.warnings.length) console.log(`avFrag warnings:\n  ${r.warnings.join('\n  ')}`);
    // ffmpeg computes next_track_ID from tracks that have moov samples; with empty_moov none do,
    // so it writes 2 next to track_IDs 1 and 2, which §8.2.2 forbids.
    expect(r.errors).toEqual(['moov/mvhd: next_track_ID 2 is not greater than track_ID 2']);
    expect(r.fragmented).toBe(true);
    expect(r.tracks.map((t) => [t.handler, t.fragmentSampleCount])).toEqual([['vide', 75], ['soun', r.tracks[1].sampleCount]]);
  });

  it('sample tables agree with ffprobe packets (sizes, keyframes, offsets strictly inside mdat)', async () => {
    for (const name of ['vFast', 'avFrag', 'bFrames', 'bFragImplicitBase']) {
      const [v] = readSampleTables(data[name]);
      const packets = await ffprobePackets(files[name], 'v:0');
      expect(v.sizes).toEqual(packets.map((p) => Number(p.size)));
      const keyframes = packets.flatMap((p, i) => (p.flags.startsWith('K') ? [i + 1] : []));
      expect(v.syncSamples).toEqual(keyframes);
      // Decode deltas against ffprobe's DTS steps (timescale 12800); the last sample has no successor.
      expect(v.timescale).toBe(12800);
      const dts = packets.map((p) => Math.round(Number(p.dts_time) * 12800));
      expect(v.decodeDeltas.slice(0, -1)).toEqual(dts.slice(1).map((d, i) => d - dts[i]));
      if (v.compositionOffsets) {
        const pts = packets.map((p) => Math.round(Number(p.pts_time) * 12800));
        expect(v.compositionOffsets).toEqual(pts.map((p, i) => p - dts[i]));
      }
    }
    const audio = readSampleTables(data.avFast)[1];
    const aPackets = await ffprobePackets(files.avFast, 'a:0');
    expect(audio.sizes).toEqual(aPackets.map((p) => Number(p.size)));
    expect(audio.syncSamples).toBeNull();
  });

  it('B-frame files: ctts read, edit list starts at the first presentation time', () => {
    const t = readSampleTables(data.bFrames)[0];
    expect(t.compositionOffsets).not.toBeNull();
    expect(t.edits?.[0].mediaTime).toBeGreaterThan(0);
    const tf = readSampleTables(data.bFragImplicitBase)[0];
    expect(tf.compositionOffsets?.some((c) => c > 0)).toBe(true);
  });
});

describe('positive rewrites the validator must still accept (checked by ffmpeg decoding them)', () => {
  async function expectDecodes(bytes: Uint8Array, name: string): Promise<void> {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    const d = await ffmpegDecodeCheck(f);
    expect(d.stderr).toBe('');
    expect(d.ok).toBe(true);
  }

  it('mdat with size 0 (extends to end of file)', async () => {
    const src = data.vFast;
    const out = src.slice();
    const mdat = findBox(validateIsoBmff(src).boxes, 'mdat[1]');
    expect(mdat.offset + mdat.size).toBe(src.length);
    setU32(out, mdat.offset, 0);
    const r = validateIsoBmff(out);
    expect(r.errors).toEqual([]);
    await expectDecodes(out, 'size0.mp4');
  });

  it('mdat with a 64-bit largesize (free + mdat headers merged into one 16-byte header)', async () => {
    const src = data.vFast;
    const top = validateIsoBmff(src).boxes;
    const i = top.findIndex((b) => b.type === 'mdat');
    expect(top[i - 1].type).toBe('free');
    expect(top[i - 1].size).toBe(8);
    const out = src.slice();
    const at = top[i - 1].offset;
    setU32(out, at, 1);
    out.set([0x6d, 0x64, 0x61, 0x74], at + 4); // 'mdat'
    setU32(out, at + 8, 0);
    setU32(out, at + 12, top[i].size + 8);
    const r = validateIsoBmff(out);
    expect(r.errors).toEqual([]);
    expect(findBox(r.boxes, 'mdat[1]').headerSize).toBe(16);
    await expectDecodes(out, 'largesize.mp4');
  });

  it('stco rewritten as co64', async () => {
    const src = data.vPlain;
    const stco = findBox(validateIsoBmff(src).boxes, `${VIDEO_STBL}/stco`);
    const n = u32(src, stco.offset + 12);
    const co64 = new Uint8Array(16 + 8 * n);
    setU32(co64, 0, co64.length);
    co64.set([0x63, 0x6f, 0x36, 0x34], 4); // 'co64'
    setU32(co64, 12, n);
    for (let k = 0; k < n; k++) setU32(co64, 16 + 8 * k + 4, u32(src, stco.offset + 16 + 4 * k));
    const out = spliceBox(src, `${VIDEO_STBL}/stco`, co64);
    const r = validateIsoBmff(out);
    expect(r.errors).toEqual([]);
    expect(r.tracks[0].sampleOffsets).toEqual(readSampleTables(src)[0].sampleOffsets);
    await expectDecodes(out, 'co64.mp4');
  });
});

describe('mutations are reported', () => {
  it('stsz sample_count changed', () => {
    const r = mutate(data.vFast, (b, box) => setU32(b, box(`${VIDEO_STBL}/stsz`).offset + 16, 74));
    expectError(r, /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stsz: sample_count 74 != stts total 75$/);
  });

  it('stco offset shifted out of mdat (into moov, and past the end of the file)', () => {
    const intoMoov = mutate(data.vFast, (b, box) => setU32(b, box(`${VIDEO_STBL}/stco`).offset + 16, box('moov').offset + 8));
    expectError(intoMoov, /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stco: track 1 sample 1 bytes \[\d+, \d+\) not inside any mdat payload$/);
    const pastEnd = mutate(data.vFast, (b, box) => setU32(b, box(`${VIDEO_STBL}/stco`).offset + 16, b.length + 100));
    expectError(pastEnd, /stco: track 1 sample 1 bytes .* not inside any mdat payload/);
  });

  it('samples of two tracks overlapping', () => {
    const r = mutate(data.avFast, (b, box) => {
      const v = u32(b, box(`${VIDEO_STBL}/stco`).offset + 16);
      setU32(b, box('moov/trak[2]/mdia/minf/stbl/stco').offset + 16, v);
    });
    expectError(r, /^moov\/trak\[2\]\/mdia\/minf\/stbl: track 2 sample 1 \[\d+, \d+\) overlaps track 1 sample 1/);
  });

  it('stsc first_chunk order, first entry, and chunk count', () => {
    const AUDIO_STBL = 'moov/trak[2]/mdia/minf/stbl';
    const stscEntries = (b: Uint8Array, o: number): number => u32(b, o + 12);
    const first = mutate(data.avFast, (b, box) => setU32(b, box(`${AUDIO_STBL}/stsc`).offset + 16, 2));
    expectError(first, /^moov\/trak\[2\]\/mdia\/minf\/stbl\/stsc: first entry's first_chunk is 2 \(expected 1\)$/);
    const order = mutate(data.avFast, (b, box) => {
      const o = box(`${AUDIO_STBL}/stsc`).offset;
      expect(stscEntries(b, o)).toBeGreaterThan(2);
      setU32(b, o + 16 + 12, 1);
    });
    expectError(order, /^moov\/trak\[2\]\/mdia\/minf\/stbl\/stsc: first_chunk not strictly increasing: entry 2 has 1 after 1$/);
    const beyond = mutate(data.avFast, (b, box) => {
      const o = box(`${AUDIO_STBL}/stsc`).offset;
      const chunks = u32(b, box(`${AUDIO_STBL}/stco`).offset + 12);
      setU32(b, o + 16 + 12 * (stscEntries(b, o) - 1), chunks + 5);
    });
    expectError(beyond, /^moov\/trak\[2\]\/mdia\/minf\/stbl\/stco: chunk count (\d+) < last stsc first_chunk \d+$/);
  });

  it('full-box versions outside 0/1', () => {
    for (const path of ['moov/mvhd', 'moov/trak[1]/tkhd', 'moov/trak[1]/mdia/mdhd', 'moov/trak[1]/edts/elst']) {
      const r = mutate(data.vFast, (b, box) => {
        b[box(path).offset + 8] = 2;
      });
      expect(r.errors).toContain(`${path}: unsupported version 2 (expected 0 or 1)`);
    }
  });

  it('stss unsorted', () => {
    const r = mutate(data.vFast, (b, box) => {
      const o = box(`${VIDEO_STBL}/stss`).offset + 16;
      expect([u32(b, o), u32(b, o + 4), u32(b, o + 8)]).toEqual([1, 26, 51]);
      setU32(b, o + 4, 51);
      setU32(b, o + 8, 26);
    });
    expectError(r, /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stss: entries not strictly increasing: entry 3 is 26 after 51$/);
  });

  it('stss marks a non-IDR sample as sync (and leaves an IDR sample unmarked)', () => {
    const r = mutate(data.vFast, (b, box) => setU32(b, box(`${VIDEO_STBL}/stss`).offset + 16 + 4, 2));
    expectError(r, /^moov\/trak\[1\]\/mdia\/minf\/stbl: track 1 sample 2 is marked sync \(stss\/sample flags\) but has no IDR NAL unit/);
    expectError(r, /^moov\/trak\[1\]\/mdia\/minf\/stbl: track 1 sample 26 has an IDR NAL unit but is not marked sync$/);
  });

  it('no stss (every sample sync) while most samples are not IDR', () => {
    const r = validateIsoBmff(spliceBox(data.vPlain, `${VIDEO_STBL}/stss`, null));
    expectError(r, /track 1 sample 2 is marked sync \(no stss: every sample is sync\) but has no IDR NAL unit/);
    expectError(r, /^moov\/trak\[1\]: track 1: 72 samples in total have sync marking that disagrees with their NAL units$/);
  });

  it('stss first entry not 1 for video, entry past sample_count', () => {
    const r = mutate(data.vFast, (b, box) => {
      const o = box(`${VIDEO_STBL}/stss`).offset + 16;
      setU32(b, o, 26);
      setU32(b, o + 4, 51);
      setU32(b, o + 8, 76);
    });
    expectError(r, /stss: first sync sample is 26 \(expected 1 for video\)/);
    expectError(r, /stss: sample number\(s\) 76 outside 1\.\.75/);
  });

  it('a NAL length prefix that overruns its sample', () => {
    const r = mutate(data.vFast, (b) => {
      const t = readSampleTables(b)[0];
      setU32(b, t.sampleOffsets[1], t.sizes[1]);
    });
    expectError(r, /^moov\/trak\[1\]\/mdia\/minf\/stbl: track 1 sample 2: NAL length \d+ at byte 0 overruns the sample size \d+$/);
  });

  it('box sizes broken: a child overruns its parent, a container not filled', () => {
    const overrun = mutate(data.vFast, (b, box) => {
      const o = box(`${VIDEO_STBL}/stsd/avc1`).offset;
      setU32(b, o, u32(b, o) + 1);
    });
    expectError(
      overrun,
      /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stsd\/avc1: size \d+ at offset \d+ extends 1 byte\(s\) past the end of moov\/trak\[1\]\/mdia\/minf\/stbl\/stsd$/,
    );
    const notFilled = mutate(data.vFast, (b, box) => {
      const o = box('moov').offset;
      setU32(b, o, u32(b, o) + 4);
    });
    expectError(notFilled, /^moov: 4 byte\(s\) left at offset \d+ after the last child: children do not exactly fill the box$/);
    const tooSmall = mutate(data.vFast, (b, box) => setU32(b, box(`${VIDEO_STBL}/stts`).offset, 4));
    expectError(tooSmall, /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stts: size 4 at offset \d+ is smaller than its 8-byte header$/);
  });

  it('truncated files (mdat last, moov last)', () => {
    const cut = data.vFast.slice(0, data.vFast.length - 1000);
    const r = validateIsoBmff(cut);
    expectError(r, /^mdat\[1\]: size \d+ at offset \d+ extends 1000 byte\(s\) past the end of the file$/);
    expectError(r, /not inside any mdat payload/);
    const moov = findBox(validateIsoBmff(data.vPlain).boxes, 'moov');
    for (const keep of [moov.offset + 4, moov.offset + 200, moov.offset + moov.size - 10]) {
      const rr = validateIsoBmff(data.vPlain.slice(0, keep));
      expect(rr.errors.length).toBeGreaterThan(0);
    }
    expectError(
      validateIsoBmff(data.vPlain.slice(0, moov.offset + moov.size - 10)),
      /^moov: size \d+ at offset \d+ extends 10 byte\(s\) past the end of the file$/,
    );
  });

  it('avcC removed (sizes fixed up, so that is the only error)', () => {
    const r = validateIsoBmff(spliceBox(data.vPlain, `${VIDEO_STBL}/stsd/avc1/avcC`, null));
    expect(r.errors).toEqual(['moov/trak[1]/mdia/minf/stbl/stsd/avc1: avcC missing']);
  });

  it('avcC without PPS / wrong version', () => {
    const r = mutate(data.vFast, (b, box) => {
      const avcC = box(`${VIDEO_STBL}/stsd/avc1/avcC`);
      b[avcC.offset + 8] = 2;
    });
    expectError(r, /avcC: configurationVersion 2 \(expected 1\)/);
  });

  it('durations and edit list', () => {
    const mdhd = mutate(data.vFast, (b, box) => setU32(b, box('moov/trak[1]/mdia/mdhd').offset + 24, 38401));
    expectError(mdhd, /^moov\/trak\[1\]\/mdia\/mdhd: duration 38401 != sum of stts deltas 38400$/);
    const tkhd = mutate(data.vFast, (b, box) => setU32(b, box('moov/trak[1]/tkhd').offset + 28, 3005));
    expectError(tkhd, /^moov\/trak\[1\]\/tkhd: duration 3005 != sum of edit segment_durations 3000/);
    expectError(tkhd, /^moov\/mvhd: duration 3000 != max tkhd duration 3005$/);
    const elst = mutate(data.vFast, (b, box) => {
      const o = box('moov/trak[1]/edts/elst').offset + 16;
      setU32(b, o + 4, 512); // media_time: one frame in, so the 3 s segment runs past the media
      setU32(b, o + 8, 0x00020000); // rate 2.0
    });
    expectError(elst, /^moov\/trak\[1\]\/edts\/elst: entry 1: media_time 512 \+ segment_duration 3000 \(= 38400 media ticks\) = 38912 > media duration 38400$/);
    expectError(elst, /^moov\/trak\[1\]\/edts\/elst: entry 1: media_rate 2 \(expected 1\)$/);
  });

  it('handler / sample entry mismatch, duplicate track_ID, wrong esds stream type', () => {
    const hdlr = mutate(data.vFast, (b, box) => b.set([0x73, 0x6f, 0x75, 0x6e], box('moov/trak[1]/mdia/hdlr').offset + 16));
    expectError(hdlr, /^moov\/trak\[1\]\/mdia\/minf\/stbl\/stsd\/avc1: sample entry 'avc1' in a 'soun' track$/);
    expectError(hdlr, /^moov\/trak\[1\]\/mdia\/minf: handler 'soun' but no smhd$/);
    const dup = mutate(data.avFast, (b, box) => setU32(b, box('moov/trak[2]/tkhd').offset + 20, 1));
    expectError(dup, /^moov\/trak\[2\]\/tkhd: track_ID 1 is used by another trak$/);
    const esds = mutate(data.avFast, (b, box) => {
      const e = box('moov/trak[2]/mdia/minf/stbl/stsd/mp4a/esds');
      const bytes = b.subarray(e.offset, e.offset + e.size);
      const i = bytes.indexOf(0x15);
      expect(i).toBeGreaterThan(0);
      bytes[i] = 0x11;
    });
    expectError(esds, /esds: DecoderConfigDescriptor streamType byte 0x11 \(expected 0x15 for audio\)$/);
  });

  it('fragments: tfdt gap, non-sync first sample, mfhd order, data_offset outside mdat', () => {
    const tfdt = mutate(data.vFrag, (b, box) => {
      const t = box('moof[2]/traf[1]/tfdt');
      const o = t.offset + (b[t.offset + 8] === 1 ? 16 : 12); // low word of a v1 (64-bit) time
      setU32(b, o, u32(b, o) + 1);
    });
    expectError(tfdt, /^moof\[2\]\/traf\[1\]\/tfdt: base_media_decode_time 12801 != end of the previous fragment of track 1 \(12800\)$/);
    expectError(tfdt, /^moof\[3\]\/traf\[1\]\/tfdt: base_media_decode_time 25600 decreases: previous fragment of track 1 ended at 25601$/);

    const sync = mutate(data.vFrag, (b, box) => {
      const trun = box('moof[2]/traf[1]/trun[1]');
      expect(u32(b, trun.offset + 8) & 0x5).toBe(0x5); // data_offset + first_sample_flags present
      setU32(b, trun.offset + 20, 0x01010000);
    });
    expectError(sync, /^moof\[2\]\/traf\[1\]\/trun\[1\]: first sample of a video fragment is not marked sync \(sample_flags 0x1010000\)$/);
    expectError(sync, /^moof\[2\]\/traf\[1\]\/trun\[1\]: track 1 sample 26 has an IDR NAL unit but is not marked sync$/);

    const seq = mutate(data.vFrag, (b, box) => setU32(b, box('moof[3]/mfhd').offset + 12, 2));
    expectError(seq, /^moof\[3\]\/mfhd: sequence_number 2 not greater than the previous 2$/);

    const off = mutate(data.vFrag, (b, box) => {
      const o = box('moof[1]/traf[1]/trun[1]').offset + 16;
      setU32(b, o, u32(b, o) + 100_000);
    });
    expectError(off, /^moof\[1\]\/traf\[1\]\/trun\[1\]: data starts at file offset \d+ \(base \d+ \+ data_offset \d+\), not inside the following mdat payload/);

    const empty = mutate(data.vFrag, (b, box) => setU32(b, box('moof[2]/traf[1]/trun[1]').offset + 12, 0));
    expectError(empty, /^moof\[2\]\/traf\[1\]\/trun\[1\]: sample_count 0$/);

    const noTrex = mutate(data.vFrag, (b, box) => b.set([0x66, 0x72, 0x65, 0x65], box('moov/mvex/trex').offset + 4));
    expectError(noTrex, /^moov\/mvex: no trex for track_ID 1$/);
  });

  it('garbage never throws', () => {
    const rnd = new Uint8Array(4096);
    const next = lcg(12345);
    for (let i = 0; i < rnd.length; i++) rnd[i] = next() >>> 24;
    for (const bad of [new Uint8Array(0), new Uint8Array(7), rnd, data.vFast.subarray(0, 40)]) {
      const r = validateIsoBmff(bad);
      expect(r.errors.length).toBeGreaterThan(0);
    }
    // Every prefix length of the moov of a small file: reports, never throws.
    for (let n = 0; n < 4000; n += 37) expect(() => validateIsoBmff(data.vFast.subarray(0, n))).not.toThrow();
  });
});

describe('assertValidIsoBmff', () => {
  it('accepts a path and returns the report; throws listing every error', () => {
    expect(assertValidIsoBmff(files.vFast).tracks[0].sampleCount).toBe(75);
    const broken = data.vFast.slice(0, data.vFast.length - 1000);
    expect(() => assertValidIsoBmff(broken)).toThrow(/validation failed for \d+-byte buffer with \d+ error\(s\):\n {2}- mdat\[1\]: size/);
  });
});
