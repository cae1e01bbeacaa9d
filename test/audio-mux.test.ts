// MP3 from a generated corpus muxed into MP4, checked by ffprobe and ffmpeg: codec, rate, channels,
// a clean decode, and exact durations after the gapless trim.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, Mp4ForgeError, parseMp3, patterns, type AudioLength, type Layout } from '../src/index.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { makeCorpus, type Corpus } from './helpers/mp3-corpus.js';
import { decodeAudioF32, ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await makeCorpus();
}, 300_000);
afterAll(() => corpus?.cleanup());

async function mux(
  audio: Uint8Array | string,
  opts: { layout?: Layout; audioLength?: AudioLength; frames?: number; name: string },
): Promise<{ file: string; bytes: Uint8Array }> {
  const w = await createMp4Writer({
    width: 64,
    height: 64,
    fps: 30,
    output: { buffer: true },
    layout: opts.layout,
    audio,
    audioLength: opts.audioLength,
    video: { gop: 15 },
  });
  const rgba = new Uint8Array(64 * 64 * 4);
  for (let i = 0; i < (opts.frames ?? 15); i++) {
    patterns.gradient(rgba, 64, 64, i);
    await w.addFrame(rgba);
  }
  const r = await w.finish();
  const file = tmpFile(`${opts.name}.mp4`);
  writeFileSync(file, r.data as Uint8Array);
  return { file, bytes: r.data as Uint8Array };
}

describe('MP3 corpus in MP4', () => {
  it('every corpus file: mp3 stream with the right rate/channels, clean decode, exact gapless duration', async () => {
    const rows: string[] = [];
    for (const f of corpus.files) {
      const parsed = parseMp3(f.bytes);
      // 'full' keeps all the audio: the track plays exactly the parser's playable samples.
      const { file, bytes } = await mux(f.path, { audioLength: 'full', name: `corpus-${f.name}` });
      const report = assertValidIsoBmff(bytes);
      const audioTrack = report.tracks.find((t) => t.handler === 'soun');
      expect(audioTrack?.audio?.objectTypeIndication).toBe(f.sampleRate >= 32000 ? 0x6b : 0x69);
      expect(audioTrack?.audio?.streamTypeByte).toBe(0x15);
      expect(report.tracks.map((t) => [t.handler, t.volume])).toEqual([['vide', 0], ['soun', 0x0100]]); // full volume: 1.0 in 8.8

      const probe = await ffprobe(file);
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      expect(a?.codec_name, f.name).toBe('mp3');
      expect(Number(a?.sample_rate), f.name).toBe(f.sampleRate);
      expect(a?.channels, f.name).toBe(f.channels);
      const dec = await ffmpegDecodeCheck(file);
      expect(dec.stderr, f.name).toBe('');

      // With a LAME tag the gapless trim gives back the source's exact length.
      const expected = f.xing ? f.sourceSamples : parsed.totalSamples;
      expect(parsed.playableSamples, f.name).toBe(expected);
      expect(Math.abs(Number(a?.duration_ts) - expected), `${f.name}: track duration ${a?.duration_ts} vs ${expected}`).toBeLessThanOrEqual(1);
      // ffmpeg (2018) trims the start to the sample but decodes the last packet whole.
      const pcm = await decodeAudioF32(file);
      const decoded = pcm.samples.length / pcm.channels;
      expect(decoded, f.name).toBeGreaterThanOrEqual(expected);
      expect(decoded, f.name).toBeLessThan(expected + parsed.format.samplesPerFrame);
      rows.push(`${f.name}: ${expected} samples, track ${a?.duration_ts}, decoded ${decoded}`);
    }
    console.log(rows.join('\n'));
  }, 300_000);

  it.each(['faststart', 'progressive', 'fragmented'] as const)('%s: trim, full and loop give the stated lengths and decode cleanly', async (layout) => {
    const f = corpus.byName('cbr128-44k-stereo'); // 3.3 s of audio
    for (const [audioLength, frames, expectSeconds] of [
      ['trim', 60, 2], ['trim', 120, 3.3], ['full', 30, 3.3], ['loop', 210, 7],
    ] as const) {
      const { file, bytes } = await mux(f.bytes, { layout, audioLength, frames, name: `len-${layout}-${audioLength}-${frames}` });
      assertValidIsoBmff(bytes);
      expect((await ffmpegDecodeCheck(file)).stderr).toBe('');
      const probe = await ffprobe(file);
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      const v = probe.streams.find((s) => s.codec_type === 'video');
      expect(Number(v?.duration)).toBeCloseTo(frames / 30, 6);
      if (layout !== 'fragmented') {
        // The edit list lands exactly: trim at the video end, loop at the video end, full at the audio end.
        expect(Number(a?.duration_ts)).toBe(Math.round(expectSeconds * 44100));
        expect(Number(probe.format.duration)).toBeCloseTo(Math.max(frames / 30, expectSeconds), 3);
      } else {
        // Fragmented: written before the end is known, the edit skips the delay but cannot cut the
        // end, so the audio runs to its last whole frame.
        expect(Number(a?.duration)).toBeGreaterThanOrEqual(expectSeconds - 1152 / 44100);
        expect(Number(a?.duration)).toBeLessThan(expectSeconds + 2 * 1152 / 44100);
      }
    }
  }, 120_000);

  it('Layer II (mp2) is muxed as MPEG audio too', async () => {
    for (const f of corpus.layer2) {
      const { file } = await mux(f.bytes, { audioLength: 'full', name: `mp2-${f.name}` });
      const a = (await ffprobe(file)).streams.find((s) => s.codec_type === 'audio');
      expect(Number(a?.sample_rate)).toBe(f.sampleRate);
      expect((await ffmpegDecodeCheck(file)).stderr).toBe('');
    }
  }, 60_000);

  it('rejects audio that is not MPEG audio, before anything is written', async () => {
    const wav = new Uint8Array(4096);
    wav.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
    wav.set([0x57, 0x41, 0x56, 0x45], 8); // WAVE
    for (const [bytes, re] of [
      [wav, /WAV/i],
      [new Uint8Array(0), /empty|no MPEG audio|0 bytes/i],
      [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(200)]), /PNG/i],
    ] as const) {
      const err = await createMp4Writer({ width: 64, height: 64, fps: 30, output: { buffer: true }, audio: bytes }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Mp4ForgeError);
      expect((err as Mp4ForgeError).code).toBe('INVALID_MP3');
      expect((err as Mp4ForgeError).message).toMatch(re);
    }
  });
});
