// The audio track's edit list, read back with the independent ISO-BMFF reader (issue 14, items 17
// and 20).
//  - Its start: media_time must skip exactly the encoder delay + the 529-sample decoder delay. The
//    encoder delay is read from the MP3's LAME tag by a reader written here, and ffprobe's start
//    time of the MP3 says the same; the decoded MP4 must match the source PCM at lag 0, not ±1.
//  - Its length: at 7 fps (movie timescale 1001) an MP3 without a LAME tag that ends before the
//    video gives an edit that, rounded to the nearest movie tick, would run past the last sample;
//    so does a LAME tag whose padding is under 529 (not LAME's own), unless the edit is capped by
//    the samples there are. The rounding itself (editAndDuration, rescale) over 200 lengths.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, type AudioInput, type Layout } from '../src/index.js';
import { editAndDuration, rescale, type TrackState } from '../src/mux/muxer.js';
import { SampleTable } from '../src/mux/sample-table.js';
import { assertValidIsoBmff, type TrackTables } from './helpers/iso-validate.js';
import { probeAudio } from './helpers/mp3-corpus.js';
import { decodeAudioF32, FFMPEG, ffprobe, run } from './helpers/oracles.js';
import { lcg } from './helpers/random.js';

const RATE = 44100;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mp4forge-edit-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** ffmpeg's libmp3lame encoding of mono float PCM; `extra` after the codec (e.g. -write_xing 0). */
async function lame(name: string, pcm: Float32Array, rate: number, extra: string[] = []): Promise<{ path: string; bytes: Uint8Array }> {
  const path = join(dir, `${name}.mp3`);
  const args = [
    '-hide_banner', '-v', 'error', '-y', '-f', 'f32le', '-ar', String(rate), '-ac', '1', '-i', '-',
    '-c:a', 'libmp3lame', '-b:a', '320k', ...extra, path,
  ];
  const r = await run(FFMPEG, args, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

/** Tones from 700 Hz to 5 kHz (no common period) and a little noise: a one-sample shift changes it a lot. */
function sourcePcm(seconds: number, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  const next = lcg(1);
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const seed = next();
    const tones = 0.25 * Math.sin(2 * Math.PI * 700 * t) + 0.2 * Math.sin(2 * Math.PI * 2311 * t + 1) + 0.15 * Math.sin(2 * Math.PI * 4903 * t + 2);
    out[i] = tones + 0.02 * (seed / 2 ** 32 - 0.5);
  }
  return out;
}

/**
 * Encoder delay from the LAME tag, read straight from the bytes: the Xing/Info header in the first
 * frame, its optional fields by flag, then the LAME extension whose bytes 21–23 hold delay and padding.
 */
function lameTagDelay(mp3: Uint8Array): number {
  const lameAt = lameTagAt(mp3);
  return (mp3[lameAt + 21] << 4) | (mp3[lameAt + 22] >> 4);
}

/** Where the LAME extension starts: after the Xing/Info header in the first frame and its optional fields by flag. */
function lameTagAt(mp3: Uint8Array): number {
  const text = Buffer.from(mp3.buffer, mp3.byteOffset, Math.min(mp3.length, 4096)).toString('latin1');
  const at = Math.max(text.indexOf('Info'), text.indexOf('Xing'));
  expect(at, 'a Xing/Info header').toBeGreaterThan(0);
  const flags = new DataView(mp3.buffer, mp3.byteOffset + at + 4, 4).getUint32(0);
  const lameAt = at + 8 + (flags & 1 ? 4 : 0) + (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
  expect(text.slice(lameAt, lameAt + 4)).toMatch(/^(LAME|Lavc|Lavf)/);
  return lameAt;
}

interface Muxed {
  file: string;
  bytes: Uint8Array;
  sound: TrackTables;
  movieTimescale: number;
}

/** Muxes `audio` under gradient frames; PCM is encoded by lamejs at 320 kbit/s (an MP3 is muxed as is). */
async function mux(name: string, audio: AudioInput, opts: { fps: number; frames: number; layout: Layout; audioLength?: 'trim' | 'full' }): Promise<Muxed> {
  const pcm = Array.isArray(audio);
  const w = await createMp4Writer({
    width: 64,
    height: 64,
    fps: opts.fps,
    output: { buffer: true },
    layout: opts.layout,
    audio,
    audioLength: opts.audioLength,
    ...(pcm ? { audioEncoding: { kbps: 320 } } : {}),
  });
  await w.addFrames(opts.frames, 'gradient');
  const bytes = (await w.finish()).data as Uint8Array;
  const file = join(dir, `${name}.mp4`);
  writeFileSync(file, bytes);
  const report = assertValidIsoBmff(bytes);
  const sound = report.tracks.find((t) => t.handler === 'soun') as TrackTables;
  expect(sound.edits, `${name}: one edit`).toHaveLength(1);
  const mvhd = Buffer.from(bytes).indexOf('mvhd');
  const dv = new DataView(bytes.buffer, bytes.byteOffset + mvhd + 4);
  const movieTimescale = dv.getUint8(0) === 1 ? dv.getUint32(20) : dv.getUint32(12);
  return { file, bytes, sound, movieTimescale };
}

/** Mean squared difference of decoded[i] and source[i + lag] over the middle of the track. */
function errorAtLag(decoded: Float32Array, source: Float32Array, lag: number): number {
  let se = 0;
  let n = 0;
  for (let i = 2048; i < Math.min(decoded.length, source.length) - 2048; i++) {
    const d = decoded[i] - source[i + lag];
    se += d * d;
    n++;
  }
  return se / n;
}

/**
 * The decoded track lines up with the source at lag 0: far better than at ±1 and ±2. ffmpeg (2018)
 * applies the edit of a progressive/faststart file, but ignores it in a fragmented one and decodes
 * every sample: there the source must start exactly `sound`'s media_time samples in.
 */
function expectLagZero(decoded: Float32Array, source: Float32Array, sound: TrackTables, fragmented: boolean, label: string): void {
  if (fragmented) {
    expect(decoded.length, `${label}: ffmpeg decodes every sample of a fragmented track`).toBe(sound.decodeDeltas.reduce((a, b) => a + b, 0));
    decoded = decoded.subarray(sound.edits![0].mediaTime);
  }
  const errors = [-2, -1, 0, 1, 2].map((lag) => errorAtLag(decoded, source, lag));
  const atZero = errors[2];
  expect(atZero, `${label}: error at lag 0 (${errors.map((e) => e.toExponential(2)).join(', ')} at lags -2..2)`).toBeLessThan(1e-4);
  for (const [i, e] of errors.entries()) if (i !== 2) expect(e, `${label}: lag ${i - 2} vs 0`).toBeGreaterThan(20 * atZero);
}

describe("the edit's start skips exactly encoder delay + 529", () => {
  const source = sourcePcm(3);
  let lameMp3: { path: string; bytes: Uint8Array };
  let delay: number;
  beforeAll(async () => {
    lameMp3 = await lame('edit-start', source, RATE);
    delay = lameTagDelay(lameMp3.bytes);
    // ffmpeg's mp3 demuxer starts the stream at the same point: encoder delay + 528 + 1.
    expect(Math.round((await probeAudio(lameMp3.path)).start_time * RATE)).toBe(delay + 529);
  }, 60_000);

  it.each(['faststart', 'progressive', 'fragmented'] as const)('%s, MP3 with a LAME tag: media_time = delay + 529, PCM at lag 0', async (layout) => {
    const { file, sound } = await mux(`start-${layout}`, lameMp3.bytes, { fps: 30, frames: 90, layout });
    expect(sound.edits?.[0].mediaTime).toBe(delay + 529);
    expectLagZero((await decodeAudioF32(file)).samples, source, sound, layout === 'fragmented', `${layout} LAME`);
  });

  it.each(['faststart', 'fragmented'] as const)('%s, PCM encoded by lamejs: the decoded track is the source at lag 0', async (layout) => {
    const { file, sound } = await mux(`start-pcm-${layout}`, [source], { fps: 30, frames: 90, layout });
    expect(sound.edits?.[0].mediaTime).toBeGreaterThan(529);
    expectLagZero((await decodeAudioF32(file)).samples, source, sound, layout === 'fragmented', `${layout} lamejs`);
  });
});

describe("the edit's end at 7 fps (movie timescale 1001), MP3 without a LAME tag, shorter than the video", () => {
  it.each([1.1, 1.3, 1.7])('%s s: the edit ends on the last movie tick inside the media', async (seconds) => {
    const mp3 = await lame(`clamp-${seconds}`, sourcePcm(seconds), RATE, ['-write_xing', '0']);
    for (const layout of ['faststart', 'progressive'] as const) {
      // 2 s of video at 7 fps; 'trim' ends the audio at its own end, before the video's.
      const { file, sound, movieTimescale } = await mux(`clamp-${seconds}-${layout}`, mp3.bytes, { fps: 7, frames: 14, layout });
      expect(movieTimescale).toBe(1001);
      const media = sound.decodeDeltas.reduce((a, b) => a + b, 0);
      const e = sound.edits![0];
      expect(e.mediaTime, 'no LAME tag: nothing skipped').toBe(0);
      // This case needs the clamp: the nearest movie tick lies past the last sample.
      const nearest = Math.round((media * movieTimescale) / sound.timescale);
      expect((nearest * sound.timescale) / movieTimescale - media).toBeGreaterThan(1);
      // The edit is the longest whole number of movie ticks inside the media.
      expect(e.segmentDuration).toBe(Math.floor((media * movieTimescale) / sound.timescale));
      expect(sound.tkhdDuration).toBe(e.segmentDuration);
      const a = (await ffprobe(file)).streams.find((s) => s.codec_type === 'audio');
      expect(Number(a?.duration)).toBeLessThanOrEqual(media / sound.timescale);
    }
  });
});

describe('edit arithmetic (movie ticks from media ticks)', () => {
  it('rescale rounds to the nearest tick, up as well as down', () => {
    // 44100 → 1001 ticks: fractions below and above one half.
    for (const ticks of [44123, 44144, 1105, 132300, 1]) expect(rescale(ticks, 44100, 1001), `${ticks}`).toBe(Math.round((ticks * 1001) / 44100));
    expect(rescale(44144, 44100, 1001) - Math.floor((44144 * 1001) / 44100)).toBe(1); // this one rounds up
    expect(rescale(777, 30, 30)).toBe(777);
  });

  it('an edit never runs past the media it plays (ISO/IEC 14496-12 8.6.6), even where rounding to the nearest tick would', () => {
    // An MP3 track (44.1 kHz) under a 7 fps video: movie timescale 1001 (MuxerBase). Every length
    // of play in one second's worth: the segment, back in media ticks, stays within the media after
    // media_time, and within one movie tick of the play asked for.
    const mediaTime = 1105;
    let roundedDown = 0;
    for (let play = 44100; play < 44300; play++) {
      const t = { info: { timescale: 44100 }, table: new SampleTable(), edit: { mediaTime, duration: play } } as unknown as TrackState;
      const { edit, movieDuration } = editAndDuration(t, 1001, mediaTime + play);
      const segment = edit?.segmentDuration ?? NaN;
      expect(edit?.mediaTime).toBe(mediaTime);
      expect(movieDuration).toBe(segment);
      expect(rescale(segment, 1001, 44100), `play ${play}`).toBeLessThanOrEqual(play);
      expect(Math.abs((segment * 44100) / 1001 - play), `play ${play}`).toBeLessThan(44100 / 1001);
      if (segment < Math.round((play * 1001) / 44100)) roundedDown++;
    }
    expect(roundedDown).toBeGreaterThan(0); // the cases where the nearest tick would run past the media
  });
});

describe('a LAME tag whose padding is under 529 (a tag not written by LAME)', () => {
  it('trimmed to the video, the edit still ends inside the media the track has', async () => {
    // ffmpeg's tag (encoder "Lavc…", so no CRC to mend) with its padding rewritten to 100: the
    // decoder's 529-sample delay is then more than the padding, and the playable length the tag
    // implies runs past the samples there are. 1 s of audio under 2 s of 7 fps video.
    const mp3 = (await lame('pad100', sourcePcm(1), RATE)).bytes.slice();
    const lameAt = lameTagAt(mp3);
    mp3[lameAt + 22] = (mp3[lameAt + 22] & 0xf0) | (100 >> 8);
    mp3[lameAt + 23] = 100 & 0xff;
    for (const layout of ['progressive', 'faststart'] as const) {
      const { sound, movieTimescale } = await mux(`pad100-${layout}`, mp3, { fps: 7, frames: 14, layout, audioLength: 'trim' });
      const edit = sound.edits![0];
      expect(edit.mediaTime, layout).toBe(lameTagDelay(mp3) + 529);
      // ISO/IEC 14496-12 8.6.6: the edit maps movie time onto media time that exists.
      expect(edit.mediaTime + (edit.segmentDuration * RATE) / movieTimescale, layout).toBeLessThanOrEqual(sound.mdhdDuration);
    }
  });
});
