// probeMp4 and describeMp4 on files another muxer wrote (ffmpeg: fragmented, variable frame
// rate, mono MP3, B-frames), checked against ffprobe's packets and the ISO validator's boxes; and
// probeMp4's refusals of input that is empty, truncated in a pipe, malformed or too large to index.
// A mutation pass (DEVELOPERS.md, the seventh) found each of these unchecked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeMp4, summarizeBoxes } from '../src/probe/mp4-describe.js';
import { bytesSource, looksLikeMp4, probeMp4, type RandomAccessSource } from '../src/probe/mp4-probe.js';
import { Mp4Muxer } from '../src/mux/mp4-muxer.js';
import { MemorySink } from '../src/mux/sink.js';
import { assertValidIsoBmff, type BoxNode, validateIsoBmff } from './helpers/iso-validate.js';
import { MP3_TRACK } from './helpers/mux-tracks.js';
import { ffmpegSync, ffprobe, ffprobePackets } from './helpers/oracles.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('mp4forge-probe-');
const frag = join(dir, 'vfr-frag.mp4');
const bframes = join(dir, 'bframes.mp4');
const monoFaststart = join(dir, 'mono-faststart.mp4');
const monoProgressive = join(dir, 'mono-progressive.mp4');
const twoMp3 = join(dir, 'two-mp3.mp4');

beforeAll(() => {
  // 10 frames at 25 fps, then 15 at 50 fps (variable frame rate); 0.3 s of mono MP3 at 22.05 kHz; fragments at each keyframe.
  ffmpegSync([
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-f', 'lavfi', '-i', 'sine=duration=0.3:sample_rate=22050',
    '-vf', "setpts='if(lt(N,10),N/25,10/25+(N-10)/50)/TB'", '-vsync', 'passthrough', '-frames:v', '25',
    '-c:v', 'libx264', '-g', '10', '-bf', '0', '-c:a', 'libmp3lame', '-ac', '1', '-movflags', 'frag_keyframe+empty_moov', frag,
  ]);
  // Two B-frames: the edit list starts the video that many frames into its media (at 25 fps).
  ffmpegSync([
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-t', '1', '-c:v', 'libx264', '-bf', '2', '-g', '25', '-movflags', '+faststart', bframes,
  ]);
  // Mono MP3 beside a video, index first and index last.
  for (const [out, flags] of [[monoFaststart, ['-movflags', '+faststart']], [monoProgressive, []]] as const) {
    ffmpegSync([
      '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-f', 'lavfi', '-i', 'sine=duration=1:sample_rate=22050', '-t', '1',
      '-c:v', 'libx264', '-c:a', 'libmp3lame', '-ac', '1', ...flags, out,
    ]);
  }
  // Two MP3 tracks: stereo (track 2) starting at 0.5 s, mono (track 3) at 0, so the mono track's
  // first frame comes first in the file.
  ffmpegSync([
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-itsoffset', '0.5', '-f', 'lavfi', '-i', 'sine=duration=1:sample_rate=44100',
    '-f', 'lavfi', '-i', 'sine=duration=1:sample_rate=22050', '-t', '1.5', '-map', '0:v', '-map', '1:a', '-map', '2:a',
    '-c:v', 'libx264', '-c:a', 'libmp3lame', '-ac:a:0', '2', '-ac:a:1', '1', '-movflags', '+faststart', twoMp3,
  ]);
});

const bytesOf = (file: string) => new Uint8Array(readFileSync(file));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A forward-only source (size unknown), as a pipe is: a read that starts before the previous one's start fails. */
function streamSource(bytes: Uint8Array): RandomAccessSource {
  let last = 0;
  return {
    size: undefined,
    read: async (position, length) => {
      if (position < last) throw new Error(`read at ${position} after a read at ${last}: a pipe cannot go back`);
      last = position;
      return bytes.subarray(position, Math.min(bytes.length, position + length));
    },
  };
}

describe('probeMp4 against ffprobe on an ffmpeg-made fragmented file', () => {
  it('counts samples, keyframes, bytes, durations and the average frame rate across fragments as ffprobe does', async () => {
    const info = await probeMp4(bytesSource(bytesOf(frag)));
    const moofs = validateIsoBmff(bytesOf(frag)).boxes.filter((b) => b.type === 'moof').length;
    expect(moofs).toBeGreaterThan(1);
    expect(info).toMatchObject({ layout: 'fragmented', fragments: moofs });
    const video = info.tracks.find((t) => t.type === 'video');
    const audio = info.tracks.find((t) => t.type === 'audio');
    const vp = await ffprobePackets(frag, 'v:0');
    const ap = await ffprobePackets(frag, 'a:0');
    const { streams, format } = await ffprobe(frag);
    // ffprobe's packet durations here are the codec's nominal 1/25 s; the stream's duration is the samples'.
    const vSeconds = Number(streams.find((s) => s.codec_type === 'video')?.duration);
    const vBytes = sum(vp.map((p) => Number(p.size)));
    expect(vp).toHaveLength(25);
    expect(video).toMatchObject({ samples: vp.length, keyframes: vp.filter((p) => p.flags.startsWith('K')).length, bytes: vBytes });
    expect(video?.keyframes).toBe(3);
    expect(video?.durationSeconds).toBeCloseTo(vSeconds, 3);
    expect(video?.bitrate).toBeCloseTo((vBytes * 8) / (video?.durationSeconds ?? 0), 3);
    expect(video?.bitrate).toBeGreaterThan(((vBytes * 8) / vSeconds) * 0.999);
    expect(video?.bitrate).toBeLessThan(((vBytes * 8) / vSeconds) * 1.001);
    // Durations differ (1/25 s, then 1/50 s): an average over the samples, not one frame's rate.
    expect(video?.frameRate?.constant).toBe(false);
    expect(video?.frameRate?.fps).toBeCloseTo(vp.length / vSeconds, 2);

    const stream = streams.find((s) => s.codec_type === 'audio');
    expect(audio).toMatchObject({ sampleRate: Number(stream?.sample_rate), samples: ap.length });
    expect(audio?.bytes).toBe(sum(ap.map((p) => Number(p.size))));
    expect(audio?.durationSeconds).toBeCloseTo(Number(stream?.duration), 3);

    // No movie duration in an empty_moov file: the longest track's, as ffprobe says.
    expect(video?.durationSeconds).toBeGreaterThan((audio?.durationSeconds ?? 0) + 0.3);
    expect(info.durationSeconds).toBeCloseTo(Number(format.duration), 2);

    const text = describeMp4(info);
    expect(text).toContain(`Layout: fragmented (movie fragments: ${moofs})`);
    expect(text).toMatch(/ fps average\n/);
  });

  it('calls the init segment alone (ftyp, moov with mvex, no moof) fragmented, and a moov with no mdat faststart', async () => {
    const bytes = bytesOf(frag);
    const top = validateIsoBmff(bytes).boxes;
    const moov = top.find((b) => b.type === 'moov');
    expect(moov?.children.some((c) => c.type === 'mvex')).toBe(true);
    const init = bytes.subarray(0, (moov?.offset ?? 0) + (moov?.size ?? 0));
    expect(validateIsoBmff(init).boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(await probeMp4(bytesSource(init))).toMatchObject({ layout: 'fragmented', fragments: 0 });

    const whole = bytesOf(bframes);
    const head = validateIsoBmff(whole).boxes;
    const end = head.findIndex((b) => b.type === 'mdat');
    expect(head.slice(0, end).map((b) => b.type)).toContain('moov');
    const noMedia = whole.subarray(0, head[end].offset);
    expect(await probeMp4(bytesSource(noMedia))).toMatchObject({ layout: 'faststart' });
  });

  it("takes the duration from mehd when mvhd's is 0 (an empty_moov file with a fragment duration)", async () => {
    const bytes = bytesOf(frag);
    const moov = validateIsoBmff(bytes).boxes.find((b) => b.type === 'moov');
    const mvex = moov?.children.find((c) => c.type === 'mvex');
    const mvhd = moov?.children.find((c) => c.type === 'mvhd');
    if (!moov || !mvex || !mvhd) throw new Error('no moov/mvex/mvhd');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(bytes[mvhd.offset + 8]).toBe(0); // version 0: timescale at +20, duration at +24
    expect(view.getUint32(mvhd.offset + 24)).toBe(0);
    const timescale = view.getUint32(mvhd.offset + 20);
    // mehd (version 0) as mvex's first child: 5 s, longer than either track.
    const mehd = new Uint8Array(16);
    const m = new DataView(mehd.buffer);
    m.setUint32(0, 16);
    mehd.set(new TextEncoder().encode('mehd'), 4);
    m.setUint32(12, 5 * timescale);
    const at = mvex.offset + mvex.headerSize;
    const out = new Uint8Array(bytes.length + 16);
    out.set(bytes.subarray(0, at));
    out.set(mehd, at);
    out.set(bytes.subarray(at), at + 16);
    const o = new DataView(out.buffer);
    o.setUint32(moov.offset, moov.size + 16);
    o.setUint32(mvex.offset, mvex.size + 16);
    expect(validateIsoBmff(out).boxes.find((b) => b.type === 'moov')?.children.find((c) => c.type === 'mvex')?.children[0].type).toBe('mehd');
    const info = await probeMp4(bytesSource(out));
    expect(info.durationSeconds).toBe(5);
    expect(Math.max(...info.tracks.map((t) => t.durationSeconds))).toBeLessThan(1);
  });

  it("describes an edit list's media time in the track's timescale, where ffprobe puts the first decode time", async () => {
    const info = await probeMp4(bytesSource(bytesOf(bframes)));
    const video = info.tracks[0];
    expect(video.timescale).not.toBe(info.timescale);
    const firstDts = Number((await ffprobePackets(bframes, 'v:0'))[0].dts_time);
    expect(firstDts).toBeLessThan(0);
    expect(video.editList?.[0].mediaTime).toBe(Math.round(-firstDts * video.timescale));
    expect(describeMp4(info)).toContain(`from media time ${video.editList?.[0].mediaTime} (${(-firstDts).toFixed(3)} s)`);
  });
});

describe('probeMp4 on an edit list', () => {
  it('reads a media rate with a fraction (16.16 fixed point)', async () => {
    const bytes = bytesOf(bframes).slice();
    const find = (nodes: BoxNode[]): BoxNode | undefined => {
      for (const n of nodes) {
        const hit = n.type === 'elst' ? n : find(n.children);
        if (hit) return hit;
      }
      return undefined;
    };
    const elst = find(validateIsoBmff(bytes).boxes);
    if (!elst) throw new Error('no elst');
    const view = new DataView(bytes.buffer);
    expect(bytes[elst.offset + 8]).toBe(0); // version 0: entries of 4 + 4 + 2 + 2 bytes after the count
    const rate = elst.offset + 16 + 8;
    expect(view.getInt16(rate)).toBe(1);
    view.setInt16(rate + 2, 0x4000); // 1 + 1/4
    const info = await probeMp4(bytesSource(bytes));
    expect(info.tracks[0].editList?.[0].mediaRate).toBe(1.25);
    expect(describeMp4(info)).toMatch(/ at rate 1\.25\n|at rate 1\.25$/);
  });
});

describe('probeMp4 on an audio track', () => {
  // ffmpeg writes the ISO template's channelcount 2 into the sample entry of mono MP3: the first
  // frame's header says mono, and ffprobe (which decodes it) agrees with the header. (22.05 kHz is
  // MPEG-2 audio: object type 0x69.)
  it.each([
    ['fragmented', 'file', () => frag, 1],
    ['fragmented', 'pipe', () => frag, 1],
    ['faststart', 'file', () => monoFaststart, 1],
    ['faststart', 'pipe', () => monoFaststart, 1],
    ['progressive', 'file', () => monoProgressive, 1],
    // From a pipe the media has gone by when the index says where the first frame was.
    ['progressive', 'pipe', () => monoProgressive, 2],
  ] as const)("takes an MP3 track's channels from its first frame header (%s, read as a %s)", async (layout, read, path, channels) => {
    const bytes = bytesOf(path());
    // (ffmpeg's tkhd durations include the encoder delay its edit list skips: the validator's one complaint.)
    const entry = validateIsoBmff(bytes).tracks.find((t) => t.audio)?.audio;
    expect(entry?.channelCount).toBe(2);
    const { streams } = await ffprobe(path());
    expect(Number(streams.find((s) => s.codec_type === 'audio')?.channels)).toBe(1);
    const info = await probeMp4(read === 'file' ? bytesSource(bytes) : streamSource(bytes));
    expect(info.layout).toBe(layout);
    const audio = info.tracks.find((t) => t.type === 'audio');
    expect(audio).toMatchObject({ codec: expect.stringMatching(/^mp4a\.69$/i), channels });
    expect(describeMp4(info)).toMatch(channels === 1 ? /22050 Hz, mono\n/ : /22050 Hz, stereo\n/);
  });

  it('reads the first frames of two MP3 tracks from a pipe in file order, whatever the track order', async () => {
    const bytes = bytesOf(twoMp3);
    const packets = await ffprobePackets(twoMp3, 'a');
    const firstAt = (stream: number) => Number(packets.find((p) => p.stream_index === stream)?.pos);
    expect(firstAt(2)).toBeLessThan(firstAt(1));
    const { streams } = await ffprobe(twoMp3);
    const expected = streams.filter((s) => s.codec_type === 'audio').map((s) => Number(s.channels));
    expect(expected).toEqual([2, 1]);
    for (const source of [bytesSource(bytes), streamSource(bytes)]) {
      const info = await probeMp4(source);
      expect(info.tracks.filter((t) => t.type === 'audio').map((t) => t.channels)).toEqual(expected);
    }
  });

  it("reports the sample entry's channel count when the first sample is not an MPEG audio header", async () => {
    const sink = new MemorySink();
    const track = { ...MP3_TRACK, sampleRate: 22050, timescale: 22050, channels: 1 };
    const mux = new Mp4Muxer({ layout: 'progressive', sink, tracks: [track] });
    for (let i = 0; i < 20; i++) await mux.addSample(0, { data: new Uint8Array(144 + (i % 3)).fill(i), duration: 576, sync: true });
    await mux.endTrack(0);
    await mux.finish();
    const file = sink.data();
    const entry = assertValidIsoBmff(file).tracks[0].audio;
    expect(entry).toMatchObject({ channelCount: 1, sampleRate: 22050 });
    const info = await probeMp4(bytesSource(file));
    expect(info.tracks[0]).toMatchObject({ type: 'audio', channels: entry?.channelCount, sampleRate: entry?.sampleRate, samples: 20 });
    expect(describeMp4(info)).toMatch(/22050 Hz, mono\n/);
  });
});

describe('probeMp4 refusals', () => {
  it("says an empty input is empty", async () => {
    await expect(probeMp4(bytesSource(new Uint8Array(0)))).rejects.toMatchObject({ code: 'INVALID_MP4', message: expect.stringMatching(/the input is empty/) });
  });

  it('refuses a pipe that ends inside the mdat even when the moov came first', async () => {
    const whole = bytesOf(bframes);
    expect(await probeMp4(streamSource(whole))).toMatchObject({ layout: 'faststart', size: whole.length });
    const cut = whole.subarray(0, whole.length - 100);
    await expect(probeMp4(streamSource(cut))).rejects.toMatchObject({
      code: 'INVALID_MP4',
      message: expect.stringMatching(/box 'mdat' at offset \d+ declares \d+ bytes but the input ends before its last byte/),
    });
  });

  it('refuses an index box over 512 MiB without reading it', async () => {
    const declared = 600 * 1024 * 1024;
    const header = new Uint8Array(32);
    new DataView(header.buffer).setUint32(0, declared);
    header.set(new TextEncoder().encode('free'), 4);
    const reads: number[] = [];
    const source: RandomAccessSource = {
      size: declared + 64,
      read: async (position, length) => {
        reads.push(length);
        return position === 0 ? header.subarray(0, Math.min(length, 32)) : new Uint8Array(0);
      },
    };
    await expect(probeMp4(source)).rejects.toMatchObject({
      code: 'INVALID_MP4',
      message: expect.stringMatching(/box 'free' at offset 0 is 629145600 bytes; mp4forge does not read index boxes over 536870912 bytes/),
    });
    expect(Math.max(...reads)).toBeLessThanOrEqual(32);
  });

  it('refuses a moov whose child box overruns it', async () => {
    const bytes = bytesOf(bframes).slice();
    const moov = validateIsoBmff(bytes).boxes.find((b) => b.type === 'moov');
    const mvhd = moov?.children.find((c) => c.type === 'mvhd');
    expect(mvhd).toBeDefined();
    // mvhd declares itself larger than its moov: the parser must report it, not read past.
    new DataView(bytes.buffer).setUint32(mvhd?.offset ?? 0, (moov?.size ?? 0) + 1000);
    await expect(probeMp4(bytesSource(bytes))).rejects.toMatchObject({
      code: 'INVALID_MP4',
      message: expect.stringMatching(new RegExp(`^box 'moov' at offset ${moov?.offset} could not be parsed \\(`)),
    });
  });

  it('does not take a box shorter than its own header for the start of an MP4', () => {
    const head = (size: number) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setUint32(0, size);
      b.set(new TextEncoder().encode('ftyp'), 4);
      return b;
    };
    expect(looksLikeMp4(bytesOf(bframes).subarray(0, 16))).toBe(true);
    expect(looksLikeMp4(head(8))).toBe(true);
    for (const size of [2, 4, 7]) expect(looksLikeMp4(head(size))).toBe(false);
  });
});

describe('summarizeBoxes', () => {
  it('collapses a run that ends the file', () => {
    expect(summarizeBoxes(['ftyp', 'moov', 'mdat', 'mdat'])).toBe('ftyp, moov, 2 × mdat');
    expect(summarizeBoxes(['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat'])).toBe('ftyp, moov, 2 × (moof, mdat)');
  });
});
