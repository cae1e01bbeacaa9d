// toCheckedPullSource (src/audio/pcm-source.ts) on its own: each refusal names the source's form
// and the rule it broke, before any MP3 encoder is involved; the buffer form hands out views of
// its planes in order and then null.
import { describe, expect, it } from 'vitest';
import { toCheckedPullSource, type PcmSource } from '../src/audio/pcm-source.js';
import { thrown } from './helpers/rejection.js';


describe('toCheckedPullSource', () => {
  it('refuses a sample rate that is not a positive integer, in either form, with its own message', () => {
    const planes = [new Float32Array(4)];
    for (const sampleRate of [0, -44100, 44100.5, Number.NaN]) {
      const buffer = thrown(() => toCheckedPullSource({ sampleRate, planes }));
      expect([buffer.code, buffer.message]).toEqual(['INVALID_OPTION', `PCM buffer source: sampleRate must be a positive integer (Hz), got ${sampleRate}`]);
      const pull = thrown(() => toCheckedPullSource({ sampleRate, channels: 1, pull: () => null }));
      expect([pull.code, pull.message]).toEqual(['INVALID_OPTION', `PCM pull source: sampleRate must be a positive integer (Hz), got ${sampleRate}`]);
    }
  });

  it('serves a buffer as views of its planes, in order, then null for good', () => {
    const l = Float32Array.from({ length: 10 }, (_, i) => i);
    const r = Float32Array.from({ length: 10 }, (_, i) => -i);
    const src = toCheckedPullSource({ sampleRate: 8000, planes: [l, r] } satisfies PcmSource);
    expect([src.sampleRate, src.channels]).toEqual([8000, 2]);
    const got: number[][] = [];
    let b: Float32Array[] | null;
    while ((b = src.pull(4))) {
      expect(b[0].buffer).toBe(l.buffer); // a view, not a copy
      got.push([...b[0], ...b[1]]);
    }
    expect(got).toEqual([[0, 1, 2, 3, -0, -1, -2, -3], [4, 5, 6, 7, -4, -5, -6, -7], [8, 9, -8, -9]]);
    expect(src.pull(4)).toBeNull();
  });

  it('wraps a throwing pull() as USER_CALLBACK_FAILED, and checks every block', () => {
    const boom = new Error('boom');
    const e = thrown(() => toCheckedPullSource({ sampleRate: 8000, channels: 1, pull: () => { throw boom; } }).pull(16));
    expect([e.code, e.message, e.cause]).toEqual(['USER_CALLBACK_FAILED', 'PCM source pull(16) threw: boom', boom]);
    const blocks: (Float32Array[] | null)[] = [[new Float32Array(16)], [new Float32Array(0)]];
    const src = toCheckedPullSource({ sampleRate: 8000, channels: 1, pull: () => blocks.shift() ?? null });
    expect(src.pull(16)?.[0].length).toBe(16);
    const empty = thrown(() => src.pull(16));
    expect(empty.code).toBe('INVALID_FRAME');
    expect(empty.message).toBe('PCM source pull(16) must return between 1 and 16 samples per plane (null at the end), got 0');
  });
});
