// Test harness around the README snippets (browser.ts, worker.ts): runs them and hands the bytes,
// plus source frames drawn again by the same pure function, to the test in Node as base64.
import { createMp4Writer, type EncoderChoice, type Mp4WriterResult, type VideoOptions } from 'mp4forge';
import { renderOnPage } from './browser.js';
import { drawFrame } from './draw.js';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** RGBA of frame `i` as the snippets draw it. */
function sourceFrame(i: number, width: number, height: number): string {
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  drawFrame(ctx, i, width, height);
  return base64(new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer));
}

async function page(frames: number, sourceIndices: number[]) {
  const canvas = document.getElementById('canvas') as HTMLCanvasElement;
  const mp4 = await renderOnPage(canvas, frames);
  return { mp4: base64(mp4), sources: sourceIndices.map((i) => sourceFrame(i, canvas.width, canvas.height)) };
}

async function worker(job: { width: number; height: number; frames: number; encoder: EncoderChoice }, sourceIndices: number[]) {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  try {
    const reply = await new Promise<{ result?: Mp4WriterResult; file?: File; error?: string }>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<{ result?: Mp4WriterResult; file?: File; error?: string }>) => resolve(e.data);
      w.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      w.postMessage(job);
    });
    if (reply.error || !reply.file || !reply.result) return { error: reply.error ?? 'no file' };
    const mp4 = new Uint8Array(await reply.file.arrayBuffer());
    return { result: reply.result, mp4: base64(mp4), sources: sourceIndices.map((i) => sourceFrame(i, job.width, job.height)) };
  } finally {
    w.terminate();
  }
}

/** The library on the page's main thread with any video options (not a README snippet). */
async function encode(video: VideoOptions, frames: number) {
  const width = 320;
  const height = 180;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  const writer = await createMp4Writer({ width, height, fps: 30, output: { buffer: true }, video });
  for (let i = 0; i < frames; i++) {
    drawFrame(ctx, i, width, height);
    await writer.addFrame(ctx.getImageData(0, 0, width, height));
  }
  const { data, ...result } = await writer.finish();
  return { result, mp4: base64(data as Uint8Array) };
}

/** Whether this browser's WebCodecs can encode H.264 (avc1 Constrained Baseline, AVCC output). */
async function webCodecsH264(width: number, height: number) {
  if (typeof VideoEncoder !== 'function') return { present: false, supported: false };
  const config: VideoEncoderConfig = { codec: 'avc1.42E01E', width, height, bitrate: 1_000_000, framerate: 30, avc: { format: 'avc' } };
  return { present: true, supported: (await VideoEncoder.isConfigSupported(config)).supported === true };
}

Object.assign(window, { snippets: { page, worker, webCodecsH264, encode } });
