// The option rules of src/options.ts and src/validate.ts at their edges: the documented limits
// (H.264 level 5.2's 36,864 macroblocks, 4096 per side, 0.1–240 fps, kbps from 1 kbit per frame),
// the reduced frame rate and the timescale a file gets (read back by ffprobe), the default GOP of
// two seconds (keyframes read back by ffprobe), and the wording every refusal shares.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMp4Writer, renderVideo } from '../src/index.js';
import { checkDimensions, parseFrameRate, resolveAudioEncoding, resolveSignal, resolveVideo } from '../src/options.js';
import { optionsObject, refuse, show } from '../src/validate.js';
import { ffprobe, ffprobePackets } from './helpers/oracles.js';
import { rejection, thrown } from './helpers/rejection.js';
import { tmpFile } from './helpers/render.js';


describe('frame size', () => {
  it('takes up to 4096 per side and 36,864 macroblocks (H.264 level 5.2 MaxFS), partial macroblocks counted whole', async () => {
    expect(checkDimensions(4096, 2304)).toEqual({ width: 4096, height: 2304 }); // 256 × 144 = 36,864
    expect(checkDimensions(2304, 4096)).toEqual({ width: 2304, height: 4096 });
    expect(checkDimensions(4096, 16)).toEqual({ width: 4096, height: 16 });
    for (const [w, h, mbs] of [
      [4096, 2306, 256 * 145], // 2306 rows need 145 macroblock rows
      [2306, 4096, 145 * 256],
      [4096, 2320, 256 * 145],
    ]) {
      const e = thrown(() => checkDimensions(w, h));
      expect(e.code).toBe('INVALID_DIMENSIONS');
      expect(e.message).toBe(`${w}×${h} is ${mbs} macroblocks; H.264 allows at most 36864 (e.g. 4096×2304)`);
    }
    const side = thrown(() => checkDimensions(4098, 16));
    expect([side.code, side.message]).toEqual(['INVALID_DIMENSIONS', 'width must be at most 4096, got 4098']);
    const zero = thrown(() => checkDimensions(64, 0));
    expect([zero.code, zero.message]).toEqual(['INVALID_DIMENSIONS', 'height must be a positive even integer, got 0']);
  });
});

describe('frame rate', () => {
  it('is reduced to lowest terms, and 0.1 and 240 frames per second are the inclusive ends', async () => {
    expect(parseFrameRate('60/2')).toEqual({ num: 30, den: 1 });
    expect(parseFrameRate({ num: 60000, den: 2002 })).toEqual({ num: 30000, den: 1001 });
    expect(parseFrameRate(' 50 / 20 ')).toEqual({ num: 5, den: 2 });
    expect(parseFrameRate(240)).toEqual({ num: 240, den: 1 });
    expect(parseFrameRate('480/2')).toEqual({ num: 240, den: 1 });
    expect(parseFrameRate({ num: 1, den: 10 })).toEqual({ num: 1, den: 10 });
    expect(parseFrameRate('3/30')).toEqual({ num: 1, den: 10 });
    for (const fps of [{ num: 2401, den: 10 }, { num: 99, den: 1000 }, '241/1']) {
      const e = thrown(() => parseFrameRate(fps));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toMatch(/^fps must be between 0\.1 and 240, got "\d+\/\d+"$/);
    }
  });

  it('a file at 60/2 fps plays at 30 fps in 90 kHz ticks; at 7 fps the timescale is 7 (ffprobe)', async () => {
    for (const [fps, rate, timeBase] of [['60/2', '30/1', '1/90000'], [{ num: 14, den: 2 }, '7/1', '1/7'], ['30000/1001', '30000/1001', '1/90000']] as const) {
      const writer = await createMp4Writer({ width: 64, height: 64, fps, output: { buffer: true } });
      await writer.addFrames(3, 'plasma');
      const { data } = await writer.finish();
      const file = tmpFile(`options-fps-${rate.replace('/', '_')}.mp4`);
      writeFileSync(file, data as Uint8Array);
      const v = (await ffprobe(file)).streams[0];
      expect([v.r_frame_rate, v.avg_frame_rate, v.time_base], String(rate)).toEqual([rate, rate, timeBase]);
    }
  });
});

describe('video options', () => {
  it('keyframes fall every two seconds of frames by default (ffprobe)', async () => {
    const writer = await createMp4Writer({ width: 64, height: 64, fps: 5, output: { buffer: true } });
    await writer.addFrames(25, 'plasma');
    const { data } = await writer.finish();
    const file = tmpFile('options-default-gop.mp4');
    writeFileSync(file, data as Uint8Array);
    const packets = await ffprobePackets(file);
    expect(packets.length).toBe(25);
    expect(packets.map((p, i) => (p.flags.includes('K') ? i : -1)).filter((i) => i >= 0)).toEqual([0, 10, 20]);
    expect(resolveVideo(64, 64, '30000/1001', undefined).gop).toBe(60); // round(2 × 29.97)
  });

  it('kbps starts at 1 kbit per frame, and excludes qp', async () => {
    expect(resolveVideo(64, 64, 30, { kbps: 30 }).params).toMatchObject({ kbps: 30, qp: 26 });
    for (const [fps, kbps] of [[30, 29], ['30000/1001', 29]] as const) {
      const e = thrown(() => resolveVideo(64, 64, fps, { kbps }));
      expect([e.code, e.message]).toEqual(['INVALID_OPTION', `video.kbps must be a number from 30 (1 kbit per frame) to 200000, got ${kbps}`]);
    }
    const both = thrown(() => resolveVideo(64, 64, 30, { qp: 20, kbps: 500 }));
    expect([both.code, both.message]).toEqual(['INVALID_OPTION', 'video.qp and video.kbps are exclusive: qp is constant quality, kbps is a target bitrate']);
  });
});

describe('other options', () => {
  it('audioEncoding.sampleRate goes with a bare Float32Array[] only', async () => {
    const planes = [new Float32Array(8)];
    expect(resolveAudioEncoding({ sampleRate: 48000, kbps: 128 }, planes)).toEqual({ sampleRate: 48000, kbps: 128 });
    const e = thrown(() => resolveAudioEncoding({ sampleRate: 48000 }, { sampleRate: 44100, planes }));
    expect([e.code, e.details?.option]).toEqual(['INVALID_OPTION', 'audioEncoding.sampleRate']);
  });

  it('frames must be a positive integer; a signal must look like an AbortSignal', async () => {
    for (const frames of [0, -1, 1.5]) {
      const e = await rejection(renderVideo({ width: 64, height: 64, fps: 30, frames, scene: 'bars', output: { buffer: true } }));
      expect([e.code, e.message]).toEqual(['INVALID_OPTION', `frames must be a positive integer, got ${frames}`]);
    }
    const real = new AbortController().signal;
    expect(resolveSignal(real)).toBe(real);
    for (const signal of [{ aborted: false }, { aborted: 'no', addEventListener: () => undefined }, null]) {
      const e = thrown(() => resolveSignal(signal));
      expect([e.code, e.details?.option]).toEqual(['INVALID_OPTION', 'signal']);
      expect(e.message).toMatch(/^signal must be an AbortSignal, got /);
    }
  });
});

describe('the refusal template (src/validate.ts)', () => {
  class Thing {}
  it('shows each kind of value as a refusal prints it', () => {
    expect(show(Number.NaN)).toBe('NaN');
    expect(show(-Infinity)).toBe('-Infinity');
    expect(show({ a: Number.POSITIVE_INFINITY })).toBe('{"a":"Infinity"}');
    expect(show(12n)).toBe('12n');
    expect(show(() => 1)).toBe('a function');
    expect(show(Symbol('s'))).toBe('Symbol(s)');
    expect(show(new Thing())).toBe('an object (Thing)');
    expect(show(new Map())).toBe('an object (Map)');
    expect(show(new Uint8ClampedArray(12))).toBe('a Uint8ClampedArray of 12 bytes');
    expect(show(new Float32Array(3))).toBe('a Float32Array of 12 bytes');
    expect(show(new ArrayBuffer(5))).toBe('an ArrayBuffer of 5 bytes');
    expect(show({ x: [1, 'b'] })).toBe('{"x":[1,"b"]}');
    expect(show(undefined)).toBe('undefined');
    expect(show('x'.repeat(200))).toBe(`"${'x'.repeat(116)}...`);
    expect(show('x'.repeat(118))).toBe(`"${'x'.repeat(118)}"`);
  });

  it('refuse() names the option in details; optionsObject refuses non-objects and arrays, and guesses with the prefix', async () => {
    const r = refuse('video.qp', 'an integer from 0 to 51', 52);
    expect([r.code, r.message, r.details?.option]).toEqual(['INVALID_OPTION', 'video.qp must be an integer from 0 to 51, got 52', 'video.qp']);
    expect(refuse('width', 'even', 3, 'INVALID_DIMENSIONS').code).toBe('INVALID_DIMENSIONS');
    for (const v of [[1, 2], null, 'x', 3]) {
      const e = thrown(() => optionsObject(v, 'video', ['qp']));
      expect([e.code, e.message, e.details?.option]).toEqual(['INVALID_OPTION', `video must be an options object, got ${show(v)}`, 'video']);
    }
    const guess = thrown(() => optionsObject({ qpp: 1 }, 'video', ['qp', 'kbps']));
    expect([guess.message, guess.details?.option]).toEqual(['video.qpp is not an option (did you mean video.qp?); expected one of qp, kbps', 'video.qpp']);
    const top = thrown(() => optionsObject({ widht: 1 }, '', ['width']));
    expect(top.message).toBe('widht is not an option (did you mean width?); expected one of width');
  });
});
