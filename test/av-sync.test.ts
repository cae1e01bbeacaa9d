// A/V sync end to end: a white flash at video frame k and a click at k/fps in the audio. After
// ffmpeg decodes the MP4, the click must sit within ±1 ms of the flash.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audio, createMp4Writer, type AudioInput, type Layout } from '../src/index.js';
import { decodeAudioF32, decodeRgbFrames, FFMPEG, run } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

const W = 96;
const H = 64;
const RATE = 44100;
const FLASH_FRAME = 37;
const FRAMES = 75;

async function render(name: string, fps: { num: number; den: number }, sound: AudioInput, layout: Layout): Promise<string> {
  const w = await createMp4Writer({ width: W, height: H, fps, output: { buffer: true }, audio: sound, layout, video: { qp: 20, gop: 25 } });
  const black = new Uint8Array(W * H * 4);
  for (let i = 3; i < black.length; i += 4) black[i] = 255;
  const white = new Uint8Array(W * H * 4).fill(255);
  for (let i = 0; i < FRAMES; i++) await w.addFrame(i === FLASH_FRAME ? white : black);
  const r = await w.finish();
  const file = tmpFile(`sync-${name}.mp4`);
  writeFileSync(file, r.data as Uint8Array);
  return file;
}

async function flashAndClick(file: string, fps: { num: number; den: number }): Promise<{ flash: number; click: number }> {
  const frames = await decodeRgbFrames(file, W, H);
  const brightness = frames.map((f) => f.reduce((a, b) => a + b, 0) / f.length);
  const flashIndex = brightness.indexOf(Math.max(...brightness));
  const { samples, channels } = await decodeAudioF32(file);
  let peak = 0;
  let at = -1;
  for (let i = 0; i < samples.length; i += channels) {
    const v = Math.abs(samples[i]);
    if (v > peak) {
      peak = v;
      at = i / channels;
    }
  }
  expect(peak).toBeGreaterThan(0.2);
  return { flash: (flashIndex * fps.den) / fps.num, click: at / RATE };
}

/** An MP3 with a LAME tag, made by ffmpeg's libmp3lame from the same click. */
async function lameClickMp3(seconds: number, clickAt: number): Promise<Uint8Array> {
  const pcm = new Float32Array(Math.round(seconds * RATE));
  pcm[Math.round(clickAt * RATE)] = 0.9;
  const out = tmpFile(`click-${clickAt}.mp3`);
  const r = await run(
    FFMPEG,
    ['-hide_banner', '-v', 'error', '-y', '-f', 'f32le', '-ar', String(RATE), '-ac', '1', '-i', '-', '-c:a', 'libmp3lame', '-b:a', '128k', out],
    new Uint8Array(pcm.buffer),
  );
  expect(r.code).toBe(0);
  return new Uint8Array((await import('node:fs')).readFileSync(out));
}

describe.each([
  { num: 30, den: 1 },
  { num: 30000, den: 1001 },
])('A/V sync at $num/$den fps', (fps) => {
  const clickAt = (FLASH_FRAME * fps.den) / fps.num;
  it.each(['faststart', 'progressive'] as const)('%s: generated PCM (lamejs) click lands on the flash within 1 ms', async (layout) => {
    const file = await render(`pcm-${fps.num}-${layout}`, fps, audio.clicks({ seconds: 3, at: [clickAt], sampleRate: RATE, channels: 1 }), layout);
    const { flash, click } = await flashAndClick(file, fps);
    console.log(
      `${fps.num}/${fps.den} ${layout} lamejs: flash ${flash.toFixed(6)} s, click ${click.toFixed(6)} s, Δ ${((click - flash) * 1000).toFixed(3)} ms`,
    );
    expect(Math.abs(click - flash)).toBeLessThanOrEqual(0.001);
  });

  it('pre-encoded MP3 with a LAME tag: click lands on the flash within 1 ms', async () => {
    const file = await render(`lame-${fps.num}`, fps, await lameClickMp3(3, clickAt), 'faststart');
    const { flash, click } = await flashAndClick(file, fps);
    console.log(`${fps.num}/${fps.den} libmp3lame: flash ${flash.toFixed(6)} s, click ${click.toFixed(6)} s, Δ ${((click - flash) * 1000).toFixed(3)} ms`);
    expect(Math.abs(click - flash)).toBeLessThanOrEqual(0.001);
  });
});
