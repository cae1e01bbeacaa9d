// MP3 frame parser against independent oracles: ffprobe's packet list (byte positions and sizes),
// ffprobe's stream info, and the number of samples ffmpeg decodes (with its gapless trimming).
// The corpus is encoded by the npm ffmpeg during the run; edge cases are built from its bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFrameLength, decodeMp3Header, encodeMp3Header, frameLengthOf } from '../src/audio/mp3-header.js';
import { type Mp3Frame, type Mp3FrameInfo, Mp3FrameParser, type Mp3ParseResult, describeMp3, parseMp3, parseMp3Stream } from '../src/audio/mp3-parser.js';
import { crc16Arc } from '../src/audio/mp3-info-frame.js';
import { probeApeItem } from '../src/audio/mp3-tags.js';
import { Mp4ForgeError } from '../src/errors.js';
import {
  type Corpus, apeTag, ascii, concat, decodedSamples, fakeSyncPayload, id3v1, id3v22, id3v23WithPicture, id3v24WithFooter, layer1Stream,
  leadingId3Size, lyrics3v1, lyrics3v2, makeCorpus, pool, probeAudio, probePacketPositions, prng, stripId3,
} from './helpers/mp3-corpus.js';
import { FFMPEG, run } from './helpers/oracles.js';

let corpus: Corpus;

beforeAll(async () => {
  corpus = await makeCorpus();
}, 240_000);

afterAll(() => corpus?.cleanup());

const positions = (frames: Mp3FrameInfo[]): { pos: number; size: number }[] => frames.map((f) => ({ pos: f.offset, size: f.size }));

/** Parses with chunk sizes drawn from `size()`; also reports the largest tail kept between pushes. */
function parseChunked(bytes: Uint8Array, size: () => number): { frames: Mp3Frame[]; parser: Mp3FrameParser; maxBuffered: number } {
  const parser = new Mp3FrameParser();
  const frames: Mp3Frame[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < bytes.length; ) {
    const k = Math.max(1, size());
    for (const f of parser.push(bytes.subarray(i, i + k))) frames.push(f);
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    i += k;
  }
  for (const f of parser.end()) frames.push(f);
  return { frames, parser, maxBuffered };
}

/** Largest tail the parser keeps between pushes over the whole input (end() not called). */
function maxTail(bytes: Uint8Array, size: () => number): number {
  const parser = new Mp3FrameParser();
  let max = 0;
  for (let i = 0; i < bytes.length; ) {
    const k = Math.max(1, size());
    parser.push(bytes.subarray(i, i + k));
    max = Math.max(max, parser.bufferedBytes);
    i += k;
  }
  return max;
}

function expectSameFrames(a: Mp3Frame[], b: Mp3Frame[], label: string): void {
  expect(positions(b), label).toEqual(positions(a));
  for (let i = 0; i < a.length; i++) {
    if (Buffer.compare(a[i].data, b[i].data) !== 0) throw new Error(`${label}: frame ${i} bytes differ`);
  }
}

/** Runs fn and returns the Mp4ForgeError it throws (fails the test if it does not throw one). */
function errorOf(fn: () => unknown): Mp4ForgeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof Mp4ForgeError) return e;
    throw e;
  }
  throw new Error('expected an Mp4ForgeError, nothing was thrown');
}

describe('MPEG audio header arithmetic (values worked out from ISO 11172-3 / 13818-3)', () => {
  it('decodes well-known headers and their frame lengths', () => {
    // FF FB 90 64: MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no CRC, no padding, joint stereo.
    const h = decodeMp3Header(0xfffb9064 | 0)!;
    expect(h).toMatchObject({
      mpegVersion: 1,
      layer: 3,
      bitrateKbps: 128,
      sampleRate: 44100,
      channelMode: 'joint-stereo',
      crcProtected: false,
      frameLength: 417,
      samplesPerFrame: 1152,
    });
    expect(frameLengthOf(0xfffb9264 | 0)).toBe(418); // padding bit set
    // MPEG-2 Layer III 64 kbit/s 22.05 kHz: 72·64000/22050 = 208.98 → 208; 576 samples.
    const m2 = decodeMp3Header(encodeMp3Header({ mpegVersion: 2, layer: 3, bitrateKbps: 64, sampleRate: 22050 })!)!;
    expect([m2.frameLength, m2.samplesPerFrame]).toEqual([208, 576]);
    // MPEG-2.5 Layer III 8 kbit/s 8 kHz: 72 bytes.
    expect(computeFrameLength(2.5, 3, 8, 8000, false)).toBe(72);
    // Layer I counts 4-byte slots: (12·192000/44100 = 52) slots = 208 bytes, padded 212.
    expect(computeFrameLength(1, 1, 192, 44100, false)).toBe(208);
    expect(computeFrameLength(1, 1, 192, 44100, true)).toBe(212);
    // Layer II (any version) uses 144: MPEG-2 Layer II 64 kbit/s 24 kHz = 384 bytes, 1152 samples.
    const l2 = decodeMp3Header(encodeMp3Header({ mpegVersion: 2, layer: 2, bitrateKbps: 64, sampleRate: 24000, channelMode: 'mono' })!)!;
    expect([l2.frameLength, l2.samplesPerFrame, l2.channels]).toEqual([384, 1152, 1]);
    // Reserved/forbidden fields are not headers.
    expect(frameLengthOf(0xffeb9064 | 0)).toBe(0); // version 01 reserved
    expect(frameLengthOf(0xfff99064 | 0)).toBe(0); // layer 00 reserved (this is ADTS-like)
    expect(frameLengthOf(0xfffbf064 | 0)).toBe(0); // bitrate index 15
    expect(frameLengthOf(0xfffb9c64 | 0)).toBe(0); // sample-rate index 3
    expect(frameLengthOf(0xfffb0064 | 0)).toBe(-1); // free format
  });
});

describe('the LAME tag checksum', () => {
  it('crc16Arc is CRC-16/ARC: its check value over "123456789" is 0xBB3D', () => {
    const bytes = new TextEncoder().encode('x123456789');
    expect(crc16Arc(bytes, 1, bytes.length)).toBe(0xbb3d);
    expect(crc16Arc(bytes, 0, 0)).toBe(0);
  });
});

describe('ffmpeg/libmp3lame corpus against ffprobe', () => {
  it('frame offsets and sizes equal ffprobe packet positions and sizes', async () => {
    const all = [...corpus.files, ...corpus.layer2];
    await pool(all, 2, async (f) => {
      const r = parseMp3(f.bytes);
      const packets = await probePacketPositions(f.path);
      expect(positions(r.frames), f.name).toEqual(packets);
      expect(r.stats.junkBytes + r.stats.truncatedBytes, f.name).toBe(0);
      if (f.xing) {
        // The Info/Xing frame is a valid MPEG frame that is not audio. ffprobe's mp3 demuxer does not
        // return it as a packet: its first packet starts right after it. We leave it out the same way.
        const info = r.infoFrame!;
        expect(info, f.name).not.toBeNull();
        expect(packets[0].pos, f.name).toBe(info.offset + info.size);
        expect(info.offset, f.name).toBe(leadingId3Size(f.bytes));
        const vbr = f.args.includes('-q:a') || f.args.includes('-abr');
        expect(info.kind, f.name).toBe(vbr ? 'xing' : 'info');
        expect(info.frames, f.name).toBe(r.frames.length); // FFmpeg's muxer counts audio frames only
        expect(info.bytes, f.name).toBe(f.bytes.length - info.offset);
      } else {
        expect(r.infoFrame, f.name).toBeNull();
        expect(packets[0].pos, f.name).toBe(leadingId3Size(f.bytes));
      }
      const accounted = r.stats.bytes + r.stats.skippedTagBytes + (r.infoFrame?.size ?? 0);
      expect(accounted, f.name).toBe(f.bytes.length);
    });
  });

  it('sample rate, channels, codec and MPEG version agree with ffprobe', async () => {
    const all = [...corpus.files, ...corpus.layer2];
    await pool(all, 2, async (f) => {
      const r = parseMp3(f.bytes);
      const p = await probeAudio(f.path);
      expect(p.codec_name, f.name).toBe(f.codec === 'mp2' ? 'mp2' : 'mp3');
      expect(r.format.layer, f.name).toBe(f.codec === 'mp2' ? 2 : 3);
      expect(r.format.sampleRate, f.name).toBe(p.sample_rate);
      expect(r.format.channels, f.name).toBe(p.channels);
      expect(p.nb_read_packets, f.name).toBe(r.frames.length);
      const version = p.sample_rate >= 32000 ? 1 : p.sample_rate >= 16000 ? 2 : 2.5;
      expect(r.format.mpegVersion, f.name).toBe(version);
      expect(r.format.samplesPerFrame, f.name).toBe(f.codec === 'mp2' || version === 1 ? 1152 : 576);
      expect(r.totalSamples, f.name).toBe(r.frames.length * r.format.samplesPerFrame);
      expect(r.durationSeconds, f.name).toBeCloseTo(r.totalSamples / p.sample_rate, 9);
    });
  });

  it('gapless: LAME-tag delay/padding give exactly the samples ffmpeg decodes', async () => {
    const offBySource: string[] = [];
    await pool(corpus.files, 2, async (f) => {
      const r = parseMp3(f.bytes);
      const decoded = await decodedSamples(f.path, f.channels);
      if (f.xing) {
        // FFmpeg (2018) trims encoder delay + 529 decoder delay at the start and (padding − 529) at
        // the end when the LAME tag names LAME/Lavf/Lavc, so it returns total − delay − padding.
        expect(r.gapless, f.name).not.toBeNull();
        expect(r.infoFrame!.lame!.encoder, f.name).toMatch(/^(LAME|Lavc|Lavf)/);
        // The tag's CRC (CRC-16/ARC of the frame up to the CRC field, as LAME writes it) checks out
        // where ffmpeg 2018 computes it that way: MPEG-1 stereo frames (32 bytes of side info). For
        // the others it stores another value (the parser then accepts the tag by its encoder name).
        expect(r.infoFrame!.lame!.crcValid, f.name).toBe(f.channels === 2 && f.sampleRate >= 32000);
        expect(r.playableSamples, f.name).toBe(decoded);
        // The tag is only as right as the encoder made it: FFmpeg 2018's muxer overstates the
        // padding-trimmed length for some inputs (e.g. 25391 vs 25358 source samples at 11.025 kHz,
        // 2.3 s), always by less than one frame. We report what the tag says, like every decoder.
        expect(Math.abs(r.playableSamples - f.sourceSamples), f.name).toBeLessThan(r.format.samplesPerFrame);
        if (r.playableSamples !== f.sourceSamples) offBySource.push(`${f.name}: ${r.playableSamples} vs ${f.sourceSamples} source samples`);
        const p = await probeAudio(f.path);
        expect(p.start_time, f.name).toBeCloseTo((r.gapless!.encoderDelay + 529) / f.sampleRate, 5);
      } else {
        // No LAME tag: nothing is trimmed, every frame decodes in full.
        expect(r.gapless, f.name).toBeNull();
        expect(r.playableSamples, f.name).toBe(r.totalSamples);
        expect(decoded, f.name).toBe(r.totalSamples);
      }
    });
    if (offBySource.length) console.log(`LAME tags (written by ffmpeg) off from the source length:\n  ${offBySource.join('\n  ')}`);
  });

  it('bitrate summary: CBR files show the requested bitrate, VBR/ABR files vary', () => {
    for (const f of corpus.files) {
      const r = parseMp3(f.bytes);
      const b = f.args.indexOf('-b:a');
      if (b >= 0 && !f.args.includes('-abr')) {
        expect(r.bitrate.mode, f.name).toBe('cbr');
        expect(r.bitrate.minKbps, f.name).toBe(parseInt(f.args[b + 1], 10));
        expect(r.bitrate.averageKbps, f.name).toBeCloseTo(r.bitrate.minKbps, -1);
      } else {
        expect(r.bitrate.mode, f.name).toBe('vbr');
        expect(r.bitrate.maxKbps, f.name).toBeGreaterThan(r.bitrate.minKbps);
      }
    }
  });

  it('gives identical frames whatever the chunking, and keeps only a small tail', async () => {
    const rnd = prng(42);
    for (const [i, f] of [...corpus.files, ...corpus.layer2].entries()) {
      const whole = parseMp3(f.bytes);
      const chunkings: [string, () => number][] = [
        ['random 1..3000', () => 1 + Math.floor(rnd() * 3000)],
        ['random 1..40', () => 1 + Math.floor(rnd() * 40)],
        ['64 KiB', () => 65536],
      ];
      if (i % 6 === 0) chunkings.push(['1 byte', () => 1]);
      for (const [label, size] of chunkings) {
        const c = parseChunked(f.bytes, size);
        expectSameFrames(whole.frames, c.frames, `${f.name} (${label})`);
        expect(c.parser.stats, `${f.name} (${label})`).toEqual(whole.stats);
        expect(c.parser.gapless).toEqual(whole.gapless);
        expect(c.parser.infoFrame).toEqual(whole.infoFrame);
        expect([...c.parser.tags]).toEqual(whole.tags);
        expect(c.maxBuffered, `${f.name} (${label}) tail`).toBeLessThanOrEqual(8192);
      }
    }
    // parseMp3Stream over an async iterable gives the same positions.
    const f = corpus.byName('vbr0-44k-stereo');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < f.bytes.length; i += 777) yield f.bytes.subarray(i, i + 777);
    }
    const s = await parseMp3Stream(chunks());
    const w = parseMp3(f.bytes);
    expect(s.frames).toEqual(positions(w.frames).map((p) => ({ offset: p.pos, size: p.size, samples: 1152 })));
    expect(s.playableSamples).toBe(w.playableSamples);
  });

  it('frame data are views into the pushed chunk when the frame lies inside it', () => {
    const f = corpus.byName('cbr128-44k-stereo');
    const parser = new Mp3FrameParser();
    const frames = parser.push(f.bytes);
    expect(frames.length).toBeGreaterThan(10);
    for (const fr of frames) {
      expect(fr.data.buffer).toBe(f.bytes.buffer);
      expect(fr.data.byteOffset).toBe(f.bytes.byteOffset + fr.offset);
    }
    parser.end();
  });
});

describe('VBRI header frame', () => {
  it('recognises a (hand-made) Fraunhofer VBRI frame and leaves it out like ffprobe does', async () => {
    const f = corpus.byName('cbr256-48k-stereo-noxing');
    const audio = stripId3(f.bytes);
    const audioFrames = parseMp3(audio).frames;
    // A silent MPEG-1 Layer III 128 kbit/s 48 kHz frame (384 bytes) with "VBRI" 32 bytes after the header.
    const vbri = new Uint8Array(384);
    vbri.set([0xff, 0xfb, 0x94, 0x64]);
    const dv = new DataView(vbri.buffer);
    vbri.set(ascii('VBRI'), 36);
    dv.setUint16(40, 1); // version
    dv.setUint16(42, 1105); // delay
    dv.setUint16(44, 75); // quality
    dv.setUint32(46, audio.length + vbri.length); // bytes
    dv.setUint32(50, audioFrames.length); // frames
    dv.setUint16(54, 0); // no TOC
    const bytes = concat(vbri, audio);
    const path = await corpus.write('vbri.mp3', bytes);
    const r = parseMp3(bytes);
    expect(r.infoFrame).toMatchObject({ kind: 'vbri', offset: 0, size: 384, frames: audioFrames.length, bytes: bytes.length, lame: null });
    expect(r.gapless).toBeNull();
    expect(positions(r.frames)).toEqual(await probePacketPositions(path));
    expect(r.frames.length).toBe(audioFrames.length);
  });
});

describe('Layer I and Layer II', () => {
  it('hand-made MPEG-1 Layer I streams (with and without CRC) match ffprobe and decode fully', async () => {
    for (const [sr, kbps, crc] of [[44100, 192, false], [32000, 384, true], [48000, 32, false]] as const) {
      const bytes = layer1Stream(150, sr, kbps, crc);
      const path = await corpus.write(`layer1-${sr}-${kbps}-${crc}.mp1`, bytes);
      const r = parseMp3(bytes);
      const p = await probeAudio(path);
      expect(p.codec_name).toBe('mp1');
      expect(r.format).toEqual({ mpegVersion: 1, layer: 1, sampleRate: sr, channels: 2, samplesPerFrame: 384 });
      expect(positions(r.frames)).toEqual(await probePacketPositions(path));
      expect(await decodedSamples(path, 2)).toBe(r.totalSamples);
    }
  });
});

describe('tags', () => {
  it('skips a 300 KB ID3v2.3 APIC full of agreeing false sync words, plus the original ID3v2.4 after it', async () => {
    const f = corpus.byName('cbr128-44k-stereo');
    const tag = id3v23WithPicture(fakeSyncPayload(300 * 1024));
    const bytes = concat(tag, f.bytes); // two ID3v2 tags back to back: ours, then ffmpeg's
    const path = await corpus.write('apic.mp3', bytes);
    const r = parseMp3(bytes);
    const orig = parseMp3(f.bytes);
    expect(positions(r.frames)).toEqual(positions(orig.frames).map((p) => ({ pos: p.pos + tag.length, size: p.size })));
    expect(positions(r.frames)).toEqual(await probePacketPositions(path)); // a leading tag ffprobe does skip
    expect(r.tags.map((t) => [t.kind, t.version, t.offset, t.size])).toEqual([
      ['id3v2', '2.3', 0, tag.length],
      ['id3v2', '2.4', tag.length, leadingId3Size(f.bytes)],
    ]);
    expect(r.stats.junkBytes).toBe(0);
    expect(r.gapless).toEqual(orig.gapless);
    const c = parseChunked(bytes, () => 4096);
    expectSameFrames(r.frames, c.frames, 'apic chunked');
  });

  it('skips ID3v2.4 with a footer and ID3v2.2, three tags back to back', async () => {
    const f = corpus.byName('vbr0-22k-mono');
    const t1 = id3v24WithFooter();
    const t2 = id3v22();
    const bytes = concat(t1, t2, f.bytes);
    const path = await corpus.write('footer.mp3', bytes);
    const r = parseMp3(bytes);
    expect(positions(r.frames)).toEqual(await probePacketPositions(path));
    expect(r.tags.map((t) => [t.kind, t.version, t.size])).toEqual([
      ['id3v2', '2.4', t1.length],
      ['id3v2', '2.2', t2.length],
      ['id3v2', '2.4', leadingId3Size(f.bytes)],
    ]);
    expect(r.infoFrame?.kind).toBe('xing');
    expect(r.stats.junkBytes).toBe(0);
  });

  it('skips a tag with false syncs in the middle of the stream', async () => {
    const a = corpus.byName('cbr128-44k-stereo');
    const raw = stripId3(a.bytes);
    const tag = id3v23WithPicture(fakeSyncPayload(20000, 3));
    const bytes = concat(raw, tag, raw);
        const r = parseMp3(bytes);
    // Oracle: ffprobe's packets for the untagged file. The second copy's Info frame sits mid-stream,
    // where it is an ordinary (silent) frame to a decoder, so it counts there.
    const one = await probePacketPositions(a.path);
    const shift = (k: number) => (p: { pos: number; size: number }) => ({ pos: p.pos - leadingId3Size(a.bytes) + k, size: p.size });
    const info = { pos: raw.length + tag.length, size: one[0].pos - leadingId3Size(a.bytes) };
    const expected = [...one.map(shift(0)), info, ...one.map(shift(raw.length + tag.length))];
    expect(positions(r.frames)).toEqual(expected);
    expect(r.tags.map((t) => t.offset)).toEqual([raw.length]);
    // (ffprobe on this file is no oracle: it does not step over an ID3v2 tag in mid-stream and
    // returns packets made from the false syncs inside the picture.)
  });

  it('skips APEv2 (header + footer, binary item with false syncs) and ID3v1 at the end', async () => {
    const f = corpus.byName('cbr192-48k-stereo');
    const ape = apeTag({ header: true, binary: fakeSyncPayload(5000, 9) });
    const v1 = id3v1();
    const bytes = concat(f.bytes, ape, v1);
    const r = parseMp3(bytes);
    // Oracle: ffprobe on the untagged file (ffprobe would packetise the false syncs in the APE item).
    expect(positions(r.frames)).toEqual(await probePacketPositions(f.path));
    expect(r.tags.slice(1).map((t) => [t.kind, t.offset, t.size])).toEqual([
      ['apev2', f.bytes.length, ape.length],
      ['id3v1', f.bytes.length + ape.length, 128],
    ]);
    expect(r.stats.junkBytes + r.stats.truncatedBytes).toBe(0);
    expectSameFrames(r.frames, parseChunked(bytes, () => 333).frames, 'ape chunked');
  });

  it('walks a header-less APE tag (items with false syncs) to its footer instead of scanning it', async () => {
    const f = corpus.byName('cbr128-44k-mono');
    const ape = apeTag({ header: false, binary: fakeSyncPayload(3000, 11) });
    const bytes = concat(f.bytes, ape, id3v1());
    const r = parseMp3(bytes);
    expect(positions(r.frames)).toEqual(await probePacketPositions(f.path));
    expect(r.tags.slice(1).map((t) => [t.kind, t.offset, t.size])).toEqual([
      ['apev2', f.bytes.length, ape.length],
      ['id3v1', f.bytes.length + ape.length, 128],
    ]);
    expect(r.stats.junkBytes).toBe(0);
    expectSameFrames(r.frames, parseChunked(bytes, () => 17).frames, 'ape footer chunked');
  });

  it('skips Lyrics3 v2 and v1 (each followed by ID3v1)', async () => {
    const f = corpus.byName('vbr9-44k-stereo');
    for (const [kind, lyr] of [['lyrics3v2', lyrics3v2()], ['lyrics3v1', lyrics3v1()]] as const) {
      const bytes = concat(f.bytes, lyr, id3v1());
      const r = parseMp3(bytes);
      // Oracle: ffprobe on the untagged file (ffprobe returns the Lyrics3 + ID3v1 bytes as one last packet).
      expect(positions(r.frames), kind).toEqual(await probePacketPositions(f.path));
      expect(r.tags.slice(1).map((t) => [t.kind, t.offset, t.size]), kind).toEqual([
        [kind, f.bytes.length, lyr.length],
        ['id3v1', f.bytes.length + lyr.length, 128],
      ]);
      expect(r.stats.junkBytes, kind).toBe(0);
      expectSameFrames(r.frames, parseChunked(bytes, () => 5).frames, `${kind} chunked`);
    }
  });
});

describe('damaged streams', () => {
  it('resyncs after a junk prefix full of false syncs without inventing frames', async () => {
    const f = corpus.byName('cbr128-44k-stereo');
    const raw = stripId3(f.bytes);
    const rnd = prng(5);
    const junk = new Uint8Array(30000);
    for (let i = 0; i < junk.length; i++) junk[i] = (rnd() * 256) | 0;
    // Single false headers, and pairs at exactly the right distance (417 bytes apart).
    for (let p = 100; p + 4 < junk.length - 1000; p += 997) {
      junk.set([0xff, 0xfb, 0x90, 0x64], p);
      if ((p / 997) % 2 === 0) junk.set([0xff, 0xfb, 0x90, 0x64], p + 417);
    }
    const bytes = concat(junk, raw);
    const r = parseMp3(bytes);
    expect(maxTail(bytes, () => 1 + Math.floor(rnd() * 100))).toBeLessThanOrEqual(12288);
    const orig = parseMp3(raw);
    expect(positions(r.frames)).toEqual(positions(orig.frames).map((p) => ({ pos: p.pos + junk.length, size: p.size })));
    expect(r.stats.junkBytes).toBe(junk.length);
    expect(r.infoFrame?.offset).toBe(junk.length);
    expect(r.gapless).toEqual(orig.gapless);
    // ffprobe needs to be told the format (its probe takes the random junk for something else).
    const path = await corpus.write('junk-prefix.mp3', bytes);
    expect(positions(r.frames)).toEqual(await probePacketPositions(path, 'mp3'));
    expectSameFrames(r.frames, parseChunked(bytes, () => 1000).frames, 'junk chunked');
  });

  it('skips junk between frames and keeps the complete frame before it', () => {
    const f = corpus.byName('cbr64-22k-stereo');
    const orig = parseMp3(f.bytes);
    const cut = orig.frames[40].offset; // junk inserted at a frame boundary
    const junk = new Uint8Array(5000).fill(0x55);
    junk.set([0xff, 0xf3, 0x80, 0xc4], 100);
    const bytes = concat(f.bytes.subarray(0, cut), junk, f.bytes.subarray(cut));
    const r = parseMp3(bytes);
    expect(r.frames.length).toBe(orig.frames.length);
    expect(r.stats.junkBytes).toBe(junk.length);
    expect(r.frames[39].offset).toBe(orig.frames[39].offset);
    expect(r.frames[40].offset).toBe(cut + junk.length);
    expectSameFrames(r.frames, parseChunked(bytes, () => 7).frames, 'mid junk chunked');
  });

  it('drops a frame cut short in the middle of the stream', () => {
    const f = corpus.byName('cbr192-48k-stereo');
    const orig = parseMp3(f.bytes);
    const victim = orig.frames[30];
    const keep = 150;
    const bytes = concat(f.bytes.subarray(0, victim.offset + keep), f.bytes.subarray(victim.offset + victim.size));
    const r = parseMp3(bytes);
    expect(r.frames.length).toBe(orig.frames.length - 1);
    expect(r.stats.truncatedBytes).toBe(keep);
    expect(r.stats.droppedFrames).toBe(1);
    expect(r.frames[30].offset).toBe(victim.offset + keep);
    expectSameFrames(r.frames, parseChunked(bytes, () => 64).frames, 'cut chunked');
  });

  it('drops a truncated last frame and reports its bytes (ffprobe returns it as a short packet)', async () => {
    for (const name of ['vbr0-44k-stereo', 'cbr8-8k-mono']) {
      const f = corpus.byName(name);
      const bytes = f.bytes.subarray(0, f.bytes.length - 37);
      const path = await corpus.write(`trunc-${name}.mp3`, bytes);
      const r = parseMp3(bytes);
      const packets = await probePacketPositions(path);
      const last = packets[packets.length - 1];
      expect(positions(r.frames), name).toEqual(packets.slice(0, -1));
      expect(r.stats.truncatedBytes, name).toBe(last.size);
      expect(last.pos + last.size, name).toBe(bytes.length);
      expect(r.stats.droppedFrames, name).toBe(1);
      expectSameFrames(r.frames, parseChunked(bytes, () => 1).frames, `${name} trunc chunked`);
    }
  });

  it('finds an ID3v1 tag behind a truncated last frame', () => {
    const f = corpus.byName('cbr128-44k-stereo');
    const orig = parseMp3(f.bytes);
    const cutBytes = f.bytes.subarray(0, f.bytes.length - 100);
    const bytes = concat(cutBytes, id3v1());
    const r = parseMp3(bytes);
    expect(r.frames.length).toBe(orig.frames.length - 1);
    const last = orig.frames[orig.frames.length - 1];
    expect(r.stats.truncatedBytes).toBe(last.size - 100);
    expect(r.tags.at(-1)).toMatchObject({ kind: 'id3v1', offset: cutBytes.length, size: 128 });
  });

  it('accepts a complete last frame followed by a few stray bytes', () => {
    const f = corpus.byName('cbr128-44k-stereo');
    const bytes = concat(f.bytes, new Uint8Array([1, 2, 3]));
    const r = parseMp3(bytes);
    expect(r.frames.length).toBe(parseMp3(f.bytes).frames.length);
    expect(r.stats.junkBytes).toBe(3);
  });
});

describe('rejections', () => {
  it('rejects an empty input, WAV, PNG, AAC and text with INVALID_MP3 saying what it looks like', async () => {
    const e0 = errorOf(() => parseMp3(new Uint8Array(0)));
    expect(e0.code).toBe('INVALID_MP3');
    expect(e0.message).toMatch(/empty \(0 bytes\)/);

    const dir = corpus.dir;
    const make = async (args: string[], out: string): Promise<Uint8Array> => {
      const r = await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args, `${dir}/${out}`]);
      if (r.code !== 0) throw new Error(r.stderr);
      const { readFileSync } = await import('node:fs');
      return new Uint8Array(readFileSync(`${dir}/${out}`));
    };
    const wav = await make(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'pcm_s16le'], 'x.wav');
    const png = await make(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=1', '-frames:v', '1'], 'x.png');
    const aac = await make(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'adts'], 'x.aac');
    const cases: [Uint8Array, RegExp][] = [
      [wav, /looks like a WAV \(RIFF\) file/], [png, /looks like a PNG image/], [aac, /looks like an AAC \(ADTS\) stream/],
      [ascii('Hello, this is not an MP3 file at all.\nJust some text.\n'.repeat(50)), /looks like text/],
    ];
    for (const [bytes, re] of cases) {
      const e = errorOf(() => parseMp3(bytes));
      expect(e.code).toBe('INVALID_MP3');
      expect(e.message).toMatch(re);
      expect(e.message).toMatch(/Expected/);
      // Same verdict in small chunks (WAV/PNG fail at the first bytes, the others at end()).
      const e2 = errorOf(() => parseChunked(bytes, () => 3));
      expect(e2.code).toBe('INVALID_MP3');
      expect(e2.message).toBe(e.message);
    }
  });

  it('names MP4 (ftyp at byte 4) and WAV carrying MPEG audio (format tag 0x55) made by ffmpeg; DEL bytes are not text', async () => {
    const dir = corpus.dir;
    const { readFileSync } = await import('node:fs');
    const make = async (args: string[], out: string): Promise<Uint8Array> => {
      const input = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5'];
      const r = await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...input, ...args, `${dir}/${out}`]);
      if (r.code !== 0) throw new Error(r.stderr);
      return new Uint8Array(readFileSync(`${dir}/${out}`));
    };
    const m4a = await make(['-c:a', 'aac'], 'sniff.m4a');
    const mp3wav = await make(['-c:a', 'libmp3lame', '-f', 'wav'], 'sniff-mp3.wav');
    expect(new DataView(mp3wav.buffer, mp3wav.byteOffset).getUint16(20, true)).toBe(0x55); // what ffmpeg wrote: WAVE_FORMAT_MPEGLAYER3
    const e1 = errorOf(() => parseMp3(m4a));
    expect(e1.code).toBe('INVALID_MP3');
    expect(e1.message).toMatch(/looks like an MP4\/QuickTime \(ISO-BMFF\) file/);
    const e2 = errorOf(() => parseMp3(mp3wav));
    expect(e2.code).toBe('INVALID_MP3');
    expect(e2.message).toMatch(/a WAV \(RIFF\) file carrying MPEG audio; extract the bare MP3 stream first/);
    // Printable text except for DEL (0x7f) bytes: a control character, so not text.
    const e3 = errorOf(() => parseMp3(ascii('words\x7f'.repeat(40))));
    expect(e3.code).toBe('INVALID_MP3');
    expect(e3.message).not.toMatch(/text/);
    expect(e3.message).toMatch(/no MPEG audio frames/);
    // An MPEG audio header (layer bits 01, not ADTS's 00) with no frame behind it is not called AAC.
    const e4 = errorOf(() => parseMp3(concat(new Uint8Array([0xff, 0xfb, 0x90, 0x64]), new Uint8Array(100))));
    expect(e4.code).toBe('INVALID_MP3');
    expect(e4.message).not.toMatch(/ADTS/);
    expect(e4.message).toMatch(/no valid frame header followed by a matching one/);
  });

  it('rejects a mid-stream sample-rate change (44.1 kHz then 48 kHz) with MP3_STREAM_CHANGED', () => {
    const a = corpus.byName('cbr128-44k-stereo');
    const b = corpus.byName('cbr192-48k-stereo');
    const bytes = concat(a.bytes, b.bytes);
    for (const chunk of [bytes.length, 1000, 1]) {
      const e = errorOf(() => parseChunked(bytes, () => chunk));
      expect(e.code).toBe('MP3_STREAM_CHANGED');
      expect(e.message).toMatch(/44100 Hz → 48000 Hz/);
      expect(e.details.offset).toBe(a.bytes.length + leadingId3Size(b.bytes));
    }
  });

  it('rejects mono → stereo but accepts joint stereo ↔ stereo', () => {
    const mono = corpus.byName('cbr128-44k-mono');
    const joint = corpus.byName('cbr128-44k-stereo');
    const lr = corpus.byName('cbr128-44k-stereo-lr');
    const e = errorOf(() => parseMp3(concat(joint.bytes, mono.bytes)));
    expect(e.code).toBe('MP3_STREAM_CHANGED');
    expect(e.message).toMatch(/channels 2 → 1/);
    const r = parseMp3(concat(joint.bytes, lr.bytes));
    expect(r.frames.length).toBe(parseMp3(joint.bytes).frames.length + parseMp3(lr.bytes).frames.length + 1);
    expect(r.format.channels).toBe(2);
    expect(r.channelMode).toBe('joint-stereo');
    expect(parseMp3(lr.bytes).channelMode).toBe('stereo');
  });

  it('rejects free-format streams with UNSUPPORTED_MP3', () => {
    const f = corpus.byName('cbr128-44k-stereo-lr');
    const r = parseMp3(f.bytes);
    const raw = new Uint8Array(f.bytes);
    for (const fr of r.frames) raw[fr.offset + 2] &= 0x0f; // bitrate index → 0 (free format); sizes unchanged
    const audio = raw.subarray(r.frames[0].offset);
    const e = errorOf(() => parseMp3(audio));
    expect(e.code).toBe('UNSUPPORTED_MP3');
    expect(e.message).toMatch(/free-format/i);
  });

  it('refuses further use after end() or after a failure', () => {
    const p = new Mp3FrameParser();
    p.push(corpus.byName('cbr128-44k-mono').bytes);
    p.end();
    expect(errorOf(() => p.push(new Uint8Array(4))).code).toBe('WRITER_CLOSED');
    const q = new Mp3FrameParser();
    q.push(ascii('not audio at all, just words'));
    const e1 = errorOf(() => q.end());
    expect(e1.code).toBe('INVALID_MP3');
    expect(errorOf(() => q.push(new Uint8Array(10)))).toBe(e1);
  });
});

describe('fuzz-lite', () => {
  it('random bytes: only a result or Mp4ForgeError, same outcome in chunks, no hang', () => {
    const rnd = prng(99);
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (rnd() * 256) | 0;
    const t0 = performance.now();
    let outcome: string;
    try {
      const r = parseMp3(bytes);
      outcome = `result with ${r.frames.length} frames`;
    } catch (e) {
      if (!(e instanceof Mp4ForgeError)) throw e;
      outcome = `${e.code}: ${e.message}`;
    }
    const ms = performance.now() - t0;
    console.log(`fuzz: 1 MiB random → ${outcome.slice(0, 120)} in ${ms.toFixed(1)} ms`);
    let chunked: string;
    try {
      chunked = `result with ${parseChunked(bytes, () => 1 + Math.floor(rnd() * 5000)).frames.length} frames`;
    } catch (e) {
      if (!(e instanceof Mp4ForgeError)) throw e;
      chunked = `${e.code}: ${e.message}`;
    }
    expect(chunked).toBe(outcome);
    const tail = maxTail(bytes, () => 1 + Math.floor(rnd() * 5000));
    console.log(`fuzz: largest tail kept between pushes of random bytes: ${tail} bytes`);
    expect(tail).toBeLessThanOrEqual(12288);
  });

  it('corrupted corpus files: only results or Mp4ForgeErrors, identical whole vs chunked', () => {
    const rnd = prng(1234);
    const outcomes = new Map<string, number>();
    const t0 = performance.now();
    const files = corpus.files;
    const mutate = (src: Uint8Array, kind: number): Uint8Array => {
      const at = Math.floor(rnd() * src.length);
      switch (kind) {
        case 0: { // scattered byte changes
          const b = new Uint8Array(src);
          const flips = 1 + Math.floor(rnd() * 300);
          for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = (rnd() * 256) | 0;
          return b;
        }
        case 1: { // a block of junk inserted
          const junk = new Uint8Array(1 + Math.floor(rnd() * 8000));
          for (let i = 0; i < junk.length; i++) junk[i] = rnd() < 0.3 ? 0xff : (rnd() * 256) | 0;
          return concat(src.subarray(0, at), junk, src.subarray(at));
        }
        case 2: // a range deleted
          return concat(src.subarray(0, at), src.subarray(Math.min(src.length, at + 1 + Math.floor(rnd() * 5000))));
        case 3: { // spliced with another file (other rate/channels → may change stream)
          const other = files[Math.floor(rnd() * files.length)].bytes;
          return concat(src.subarray(0, at), other.subarray(Math.floor(rnd() * other.length)));
        }
        default: // cut anywhere
          return src.subarray(0, at);
      }
    };
    for (const f of files) {
      for (let kind = 0; kind < 5; kind++) {
        const bytes = mutate(f.bytes, kind);
        const describe = (fn: () => Mp3ParseResult<Mp3Frame> | Mp3Frame[]): string => {
          try {
            const r = fn();
            const frames = Array.isArray(r) ? r : r.frames;
            return JSON.stringify(positions(frames));
          } catch (e) {
            if (!(e instanceof Mp4ForgeError)) throw e;
            return `${e.code}: ${e.message}`;
          }
        };
        const whole = describe(() => parseMp3(bytes));
        const chunked = describe(() => parseChunked(bytes, () => 1 + Math.floor(rnd() * 700)).frames);
        expect(chunked, `${f.name} mutation ${kind}`).toBe(whole);
        const key = whole.startsWith('[') ? 'result' : whole.slice(0, whole.indexOf(':'));
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }
    console.log(`fuzz: ${files.length * 5} damaged files → ${JSON.stringify(Object.fromEntries(outcomes))} in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

describe('describeMp3', () => {
  it('summarises format, duration, gapless, header frame and tags', () => {
    const f = corpus.byName('vbr0-44k-stereo');
    const r = parseMp3(concat(f.bytes, id3v1()));
    const text = describeMp3(r);
    expect(text).toContain('MPEG-1 Layer III, 44100 Hz, stereo');
    expect(text).toContain(`${r.frames.length} × 1152 samples = ${r.totalSamples} samples`);
    expect(text).toContain(`encoder delay ${r.gapless!.encoderDelay}, padding ${r.gapless!.padding} → ${r.playableSamples} playable samples`);
    expect(text).toMatch(/Bitrate: VBR, average \d+\.\d kbit\/s/);
    expect(text).toContain('Xing header frame');
    expect(text).toMatch(/id3v2 v2\.4 at 0 .*; id3v1 at /);
    expect(text.split('\n').length).toBeGreaterThanOrEqual(6);
  });

  it('minutes, KiB, tag versions only for ID3v2, a cut-off tag and the junk line, on hand-built bytes', () => {
    const frames = new Uint8Array(417 * 2400); // MPEG-1 Layer III 128 kbit/s 44.1 kHz frames: 2400 × 1152 samples = 62.694 s
    for (let i = 0; i < 2400; i++) frames.set([0xff, 0xfb, 0x90, 0x64], 417 * i);
    const v1 = id3v1();
    const cut = concat(ascii('ID3'), new Uint8Array([3, 0, 0, 0, 0, 15, 80]), new Uint8Array(1014)); // declares 10 + 2000 bytes, has 1024
    const r = parseMp3(concat(frames, apeTag({ header: true }), ascii('zz'), v1, cut));
    const text = describeMp3(r);
    expect(text).toContain('Frames: 2400 × 1152 samples = 2764800 samples, 1:02.694 (62.694 s)');
    expect(text).toContain('Bitrate: CBR 128 kbit/s');
    expect(text).toMatch(/Tags: apev2 at 1000800 \(\d+ B\); id3v1 at \d+ \(128 B\); id3v2 v2\.3 at \d+ \(1\.0 KiB, cut off by end of input\)/);
    expect(text).toContain(`Audio bytes: 977.3 KiB of ${(r.stats.inputBytes / 1024).toFixed(1)} KiB input`);
    expect(text).toContain('Skipped: 2 junk bytes, 0 bytes in 0 cut-off frame(s)');
    expect(text).toContain('Gapless: no LAME tag');
  });
});

describe('hand-built tag bytes, read per the ID3v2 / APEv2 / ID3v1 / Lyrics3 specs', () => {
  /** `count` MPEG-1 Layer III 128 kbit/s 44.1 kHz frames (FF FB 90 64: 417 bytes each), silent payload. */
  const l3Frames = (count: number): Uint8Array => {
    const b = new Uint8Array(417 * count);
    for (let i = 0; i < count; i++) b.set([0xff, 0xfb, 0x90, 0x64], 417 * i);
    return b;
  };
  const frameOffsets = (start: number, count: number): number[] => Array.from({ length: count }, (_, i) => start + 417 * i);

  it('ID3v2.3 with flag bit 0x10 set: no footer (footers exist only in v2.4), so the tag is 10 + size bytes', () => {
    // ID3v2.3 header flags are %abc00000; the 0x10 "footer present" flag belongs to v2.4 only.
    const tag = concat(ascii('ID3'), new Uint8Array([3, 0, 0x10, 0, 0, 0, 20]), new Uint8Array(20));
    const r = parseMp3(concat(tag, l3Frames(6)));
    expect(r.tags.map((t) => [t.kind, t.version, t.offset, t.size])).toEqual([['id3v2', '2.3', 0, 30]]);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(30, 6));
    expect(r.stats.junkBytes).toBe(0);
  });

  it('"ID3" whose size bytes are not syncsafe (a byte with bit 7 set) is not a tag: 10 junk bytes, then every frame', () => {
    // Read as a tag, 00 00 02 80 would claim 394 bytes and swallow the first frame.
    const bytes = concat(ascii('ID3'), new Uint8Array([3, 0, 0, 0, 0, 2, 0x80]), l3Frames(6));
    const r = parseMp3(bytes);
    expect(r.tags).toEqual([]);
    expect(r.stats.junkBytes).toBe(10);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(10, 6));
  });

  it('an APE footer with non-zero reserved bytes is no APE tag: its bytes are junk', () => {
    const frames = l3Frames(5);
    const ape = apeTag({ header: false });
    ape[ape.length - 32 + 24] = 1; // APEv2: bytes 24–31 of the header/footer are reserved, must be zero
    const r = parseMp3(concat(frames, ape));
    expect(r.tags).toEqual([]);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(0, 5));
    expect(r.stats.junkBytes).toBe(ape.length);
  });

  it('an APEv2 tag whose header is damaged: the footer says a header exists, so the tag starts 32 bytes before the items', () => {
    const frames = l3Frames(5);
    const ape = apeTag({ header: true });
    ape[7] = 0x78; // "APETAGEx": the header is not recognised, the footer (flags: has header) is
    const r = parseMp3(concat(frames, ape));
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([['apev2', frames.length, ape.length]]);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(0, 5));
    expect(r.stats.junkBytes + r.stats.truncatedBytes).toBe(0);
  });

  it('an enhanced ID3v1 tag ("TAG+", 227 bytes) followed by ID3v1 is two tags', () => {
    const frames = l3Frames(4);
    const enhanced = new Uint8Array(227); // "TAG+" title(60) artist(60) album(60) speed(1) genre(30) start(6) end(6)
    enhanced.set(ascii('TAG+'));
    enhanced.set(ascii('A long title'), 4);
    enhanced.set(ascii('00:00000:10'), 215);
    const r = parseMp3(concat(frames, enhanced, id3v1()));
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([
      ['id3v1-enhanced', frames.length, 227],
      ['id3v1', frames.length + 227, 128],
    ]);
    expect(r.stats.junkBytes).toBe(0);
    expect(r.frames.length).toBe(4);
  });

  it('Lyrics3 v1 holds up to 5100 bytes of lyrics: 5100 is a tag, 5101 is not', () => {
    const frames = l3Frames(4);
    const full = lyrics3v1('x'.repeat(5100));
    const r = parseMp3(concat(frames, full, id3v1()));
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([
      ['lyrics3v1', frames.length, 11 + 5100 + 9],
      ['id3v1', frames.length + full.length, 128],
    ]);
    expect(r.stats.junkBytes).toBe(0);
    const over = lyrics3v1('x'.repeat(5101));
    const r2 = parseMp3(concat(frames, over, id3v1()));
    expect(r2.tags.some((t) => t.kind.startsWith('lyrics3'))).toBe(false);
    // (The scan for a missing end marker does not go back over its bytes, so the ID3v1 behind them is junk too.)
    expect(r2.stats.junkBytes + r2.stats.skippedTagBytes).toBe(over.length + 128);
    expect(r2.frames.map((f) => f.offset)).toEqual(frameOffsets(0, 4));
  });

  it('in junk, "TAG" followed 128 bytes later by the real ID3v1 tag is junk, not a second ID3v1 tag', () => {
    const frames = l3Frames(4);
    const fake = new Uint8Array(128);
    fake.set(ascii('TAG'));
    const bytes = concat(frames, ascii('zz'), fake, id3v1());
    const r = parseMp3(bytes);
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([['id3v1', bytes.length - 128, 128]]);
    expect(r.stats.junkBytes).toBe(2 + 128);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(0, 4));
  });

  it('after a mid-stream tag, two frames of another sample rate then junk are junk, not a stream change (a change needs two successors)', () => {
    const f48 = (): Uint8Array => {
      const b = new Uint8Array(384); // MPEG-1 Layer III 128 kbit/s 48 kHz: 144 * 128000 / 48000 bytes
      b.set([0xff, 0xfb, 0x94, 0x64]);
      return b;
    };
    const a = l3Frames(3);
    const tag = concat(ascii('ID3'), new Uint8Array([3, 0, 0, 0, 0, 0, 5]), new Uint8Array(5));
    const bytes = concat(a, tag, f48(), f48(), ascii('zz'), a);
    const r = parseMp3(bytes);
    const second = a.length + tag.length + 2 * 384 + 2;
    expect(r.frames.map((f) => f.offset)).toEqual([...frameOffsets(0, 3), ...frameOffsets(second, 3)]);
    expect(r.stats.junkBytes).toBe(2 * 384 + 2);
    expect(r.format.sampleRate).toBe(44100);
    // Three 48 kHz frames (two agreeing successors) are a real change.
    const e = errorOf(() => parseMp3(concat(a, tag, f48(), f48(), f48(), ascii('zz'), a)));
    expect(e.code).toBe('MP3_STREAM_CHANGED');
    expect(e.details.offset).toBe(a.length + tag.length);
  });

  it('an APE footer claiming more bytes than lie after the last frame: the tag starts where the frames end', () => {
    const frames = l3Frames(20);
    const ape = apeTag({ header: false });
    new DataView(ape.buffer).setUint32(ape.length - 32 + 12, 5000, true); // items + footer are far fewer
    const r = parseMp3(concat(frames, ape));
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([['apev2', frames.length, ape.length]]);
    expect(r.frames.map((f) => f.offset)).toEqual(frameOffsets(0, 20));
    expect(r.stats.junkBytes).toBe(0);
    expect(r.stats.bytes + r.stats.skippedTagBytes).toBe(frames.length + ape.length);
  });

  it('an APE footer that claims only its last item: the items before it are junk', () => {
    const frames = l3Frames(4);
    const ape = apeTag({ header: false }); // items "Title" (8 + 6 + 9 bytes), "Artist" (8 + 7 + 8), then the footer
    const first = 8 + 6 + 9;
    new DataView(ape.buffer).setUint32(ape.length - 32 + 12, ape.length - first, true);
    const r = parseMp3(concat(frames, ape));
    expect(r.tags.map((t) => [t.kind, t.offset, t.size])).toEqual([['apev2', frames.length + first, ape.length - first]]);
    expect(r.stats.junkBytes).toBe(first);
    expect(r.frames.length).toBe(4);
  });

  it('free format: 400, 401 (padded), 400-byte Layer III frames are steady (padding slot 1 byte); headers 10 bytes apart are not', () => {
    const ff = (size: number, pad: boolean): Uint8Array => {
      const b = new Uint8Array(size);
      b.set([0xff, 0xfb, pad ? 0x02 : 0x00, 0x64]); // bitrate index 0
      return b;
    };
    const e = errorOf(() => parseMp3(concat(ff(400, false), ff(401, true), ff(400, false))));
    expect(e.code).toBe('UNSUPPORTED_MP3');
    expect(e.message).toMatch(/Free-format/);
    const e2 = errorOf(() => parseMp3(concat(ff(10, false), ff(10, false), ff(10, false), new Uint8Array(2000))));
    expect(e2.code).toBe('INVALID_MP3');
    // After junk, the same stream is found by the scan, which needs two confirmed free-format headers to say so.
    const e3 = errorOf(() => parseMp3(concat(ascii('zz'), ff(400, false), ff(401, true), ff(400, false), ff(401, true), ff(400, false))));
    expect(e3.code).toBe('UNSUPPORTED_MP3');
    expect(e3.message).toMatch(/only free-format/);
  });

  it('an ID3v2 tag cut by the end of input: its size is the bytes present, marked truncated', () => {
    const frames = l3Frames(4);
    const tag = concat(ascii('ID3'), new Uint8Array([3, 0, 0, 0, 0, 7, 0x68]), new Uint8Array(40)); // declares 10 + 1000 bytes
    const r = parseMp3(concat(frames, tag));
    expect(r.tags).toEqual([{ kind: 'id3v2', version: '2.3', offset: frames.length, size: 50, truncated: true }]);
    expect(r.stats.skippedTagBytes).toBe(50);
    expect(r.frames.length).toBe(4);
  });

  it('in junk, the letters "TAG" as the last three bytes are junk (a cut ID3v1 tag counts only at a frame boundary)', () => {
    const frames = l3Frames(4);
    const r = parseMp3(concat(frames, ascii('zzTAG')));
    expect(r.tags).toEqual([]);
    expect(r.stats.junkBytes).toBe(5);
    const atBoundary = parseMp3(concat(frames, ascii('TAG')));
    expect(atBoundary.tags).toEqual([{ kind: 'id3v1', offset: frames.length, size: 3 }]);
  });

  it('in junk, ID3v1 followed by a frame is found whatever the chunking, even when a chunk ends right after the tag', () => {
    const frames = l3Frames(3);
    const bytes = concat(frames, ascii('zz'), id3v1(), frames);
    const tagAt = frames.length + 2;
    const whole = parseMp3(bytes);
    expect(whole.tags).toEqual([{ kind: 'id3v1', offset: tagAt, size: 128 }]);
    expect(whole.frames.map((f) => f.offset)).toEqual([...frameOffsets(0, 3), ...frameOffsets(tagAt + 128, 3)]);
    for (const cutAt of [tagAt + 128, tagAt + 129, tagAt + 131]) {
      const parser = new Mp3FrameParser();
      const got = [...parser.push(bytes.subarray(0, cutAt)), ...parser.push(bytes.subarray(cutAt)), ...parser.end()];
      expect(parser.tags, `cut at ${cutAt}`).toEqual(whole.tags);
      expect(positions(got), `cut at ${cutAt}`).toEqual(positions(whole.frames));
    }
  });

  it('a chain of frames that runs exactly into the end of input confirms a sync: one frame alone, or two after junk', () => {
    expect(parseMp3(l3Frames(1)).frames.map((f) => [f.offset, f.size])).toEqual([[0, 417]]);
    const r = parseMp3(concat(ascii('zz'), l3Frames(2)));
    expect(r.frames.map((f) => f.offset)).toEqual([2, 419]);
    expect(r.stats.junkBytes).toBe(2);
  });

  it('probeApeItem: an item is 8 header bytes + a 2–255 character key + NUL + the value', () => {
    const item = (key: string, value: number): Uint8Array => {
      const h = new Uint8Array(8);
      new DataView(h.buffer).setUint32(0, value, true);
      return concat(h, ascii(key), new Uint8Array([0]), new Uint8Array(value));
    };
    expect(probeApeItem(item('AB', 5), 0, 8 + 3 + 5, true)).toBe(8 + 2 + 1 + 5);
    expect(probeApeItem(item('Title', 0), 0, 8 + 6, true)).toBe(8 + 5 + 1);
    expect(probeApeItem(item('A', 5), 0, 8 + 2 + 5, true)).toBe(0); // a one-letter key is too short
    // Value sizes up to 16 MiB; flags: bit 0 read-only, bits 1–2 the type (0–2; 3 is reserved), nothing else.
    const header = (value: number, flags: number): Uint8Array => {
      const b = concat(new Uint8Array(8), ascii('Key'), new Uint8Array(1));
      new DataView(b.buffer).setUint32(0, value, true);
      new DataView(b.buffer).setUint32(4, flags, true);
      return b;
    };
    expect(probeApeItem(header(0x1000000, 0), 0, 12, true)).toBe(12 + 0x1000000);
    expect(probeApeItem(header(0x1000001, 0), 0, 12, true)).toBe(0);
    expect(probeApeItem(header(4, 1 | (2 << 1)), 0, 12, true)).toBe(16);
    expect(probeApeItem(header(4, 3 << 1), 0, 12, true)).toBe(0);
    expect(probeApeItem(header(4, 8), 0, 12, true)).toBe(0);
  });
});

describe('hand-built Xing/Info + LAME tag frames (field offsets per the Xing and LAME tag layouts)', () => {
  /** A frame of `size` zero bytes after the 4-byte `header`. */
  const blank = (size: number, header: number[]): Uint8Array => {
    const b = new Uint8Array(size);
    b.set(header);
    return b;
  };
  /** MPEG-1 Layer III 128 kbit/s 44.1 kHz joint stereo (417 bytes); `crc` clears the protection bit. */
  const frame = (crc = false): Uint8Array => blank(417, [0xff, crc ? 0xfa : 0xfb, 0x90, 0x64]);
  interface Lame { encoder: string; method: number; lowpass: number; kbps: number; delay: number; padding: number; musicLength: number; goodCrc: boolean }
  /** A Xing/Info frame at `at` (36 = after 4 header + 32 side-info bytes) with the given flags, then a LAME tag. */
  const infoFrame = (o: { id?: string; at?: number; crc?: boolean; frames: number; bytes: number; quality: number; lame?: Lame }): Uint8Array => {
    const f = frame(o.crc);
    const dv = new DataView(f.buffer);
    let p = o.at ?? 36;
    f.set(ascii(o.id ?? 'Xing'), p);
    dv.setUint32(p + 4, 15); // frames, bytes, TOC, quality
    dv.setUint32(p + 8, o.frames);
    dv.setUint32(p + 12, o.bytes);
    for (let i = 0; i < 100; i++) f[p + 16 + i] = Math.floor((i * 256) / 100);
    dv.setUint32(p + 116, o.quality);
    p += 120;
    if (o.lame) {
      const l = o.lame;
      f.set(ascii(l.encoder), p);
      f[p + 9] = 0x10 | l.method; // revision 1
      f[p + 10] = l.lowpass / 100;
      f[p + 20] = l.kbps;
      f[p + 21] = l.delay >> 4;
      f[p + 22] = ((l.delay & 15) << 4) | (l.padding >> 8);
      f[p + 23] = l.padding & 255;
      dv.setUint32(p + 28, l.musicLength);
      const crc = crc16Arc(f, 0, p + 34);
      dv.setUint16(p + 34, l.goodCrc ? crc : crc ^ 0x5a5a);
    }
    return f;
  };
  const audio = (count: number, crc = false): Uint8Array => concat(...Array.from({ length: count }, () => frame(crc)));
  const lame: Lame = { encoder: 'LAME3.100', method: 4, lowpass: 19500, kbps: 160, delay: 576, padding: 1234, musicLength: 417 * 11, goodCrc: true };

  it('reads every Xing field and every LAME field at its offset', () => {
    const bytes = concat(infoFrame({ frames: 10, bytes: 417 * 11, quality: 57, lame }), audio(10));
    const r = parseMp3(bytes);
    expect(r.infoFrame).toEqual({
      kind: 'xing', offset: 0, size: 417, frames: 10, bytes: 417 * 11, hasToc: true, quality: 57,
      lame: {
        encoder: 'LAME3.100', revision: 1, vbrMethod: 4, lowpassHz: 19500, encoderDelay: 576, padding: 1234, bitrateKbps: 160,
        musicLength: 417 * 11, crcValid: true,
      },
    });
    expect(r.frames.map((f) => f.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 417 * (i + 1)));
    expect(r.playableSamples).toBe(10 * 1152 - 576 - 1234);
  });

  it('an encoder string padded with spaces is trimmed; an unknown encoder counts only when the tag CRC matches', () => {
    const padded = parseMp3(concat(infoFrame({ id: 'Info', frames: 4, bytes: 0, quality: 0, lame: { ...lame, encoder: 'LAME3.99 ' } }), audio(4)));
    expect(padded.infoFrame?.kind).toBe('info');
    expect(padded.infoFrame?.lame?.encoder).toBe('LAME3.99');
    const other = parseMp3(concat(infoFrame({ frames: 4, bytes: 0, quality: 0, lame: { ...lame, encoder: 'Other1.0' } }), audio(4)));
    expect(other.infoFrame?.lame).toMatchObject({ encoder: 'Other1.0', crcValid: true, encoderDelay: 576 });
    expect(other.gapless).toEqual({ encoderDelay: 576, padding: 1234 });
    const bad = parseMp3(concat(infoFrame({ frames: 4, bytes: 0, quality: 0, lame: { ...lame, encoder: 'Other1.0', goodCrc: false } }), audio(4)));
    expect(bad.infoFrame?.lame).toBeNull();
    expect(bad.gapless).toBeNull();
  });

  it('with a CRC-protected header the Xing header may sit 2 bytes later (after the CRC)', () => {
    const r = parseMp3(concat(infoFrame({ crc: true, at: 38, frames: 6, bytes: 417 * 7, quality: 10, lame }), audio(6, true)));
    expect(r.infoFrame).toMatchObject({ kind: 'xing', frames: 6, quality: 10, lame: { encoderDelay: 576, padding: 1234 } });
    expect(r.frames.length).toBe(6);
  });

  it('a LAME tag that ends exactly at the end of its frame is read', () => {
    // MPEG-2 Layer III 48 kbit/s 22.05 kHz mono, padded: 72 * 48000 / 22050 + 1 = 157 bytes. Xing at 4 + 9 = 13, TOC only,
    // so the LAME tag is bytes 121–156.
    const f = (): Uint8Array => blank(157, [0xff, 0xf3, 0x62, 0xc0]);
    const first = f();
    const dv = new DataView(first.buffer);
    first.set(ascii('Info'), 13);
    dv.setUint32(17, 4);
    first.set(ascii('LAME3.100'), 121);
    first[121 + 21] = 0x24; // delay 576 (0x240), padding 0x123
    first[121 + 22] = 0x01;
    first[121 + 23] = 0x23;
    dv.setUint16(155, crc16Arc(first, 0, 155));
    const r = parseMp3(concat(first, f(), f(), f(), f()));
    expect(r.infoFrame).toMatchObject({ kind: 'info', size: 157, hasToc: true });
    expect(r.infoFrame?.lame).toMatchObject({ encoder: 'LAME3.100', encoderDelay: 576, padding: 0x123, crcValid: true });
    expect(r.frames.length).toBe(4);
  });

  it('a "Xing" frame too short for the TOC its flags announce is an ordinary audio frame', () => {
    // MPEG-2 Layer III 32 kbit/s 24 kHz mono: 72 * 32000 / 24000 = 96 bytes; Xing at 4 + 9 = 13 needs 13 + 8 + 100 bytes.
    const f = (): Uint8Array => blank(96, [0xff, 0xf3, 0x44, 0xc0]);
    const first = f();
    first.set(ascii('Xing'), 13);
    new DataView(first.buffer).setUint32(17, 4); // TOC only
    const r = parseMp3(concat(first, f(), f(), f()));
    expect(r.format).toMatchObject({ mpegVersion: 2, layer: 3, sampleRate: 24000, channels: 1 });
    expect(r.infoFrame).toBeNull();
    expect(r.frames.map((x) => x.offset)).toEqual([0, 96, 192, 288]);
  });
});
