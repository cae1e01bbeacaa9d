// mp4forge on a page: frames drawn on a 2D canvas, passed as ImageData, the MP4 kept in memory.
import { createMp4Writer } from 'mp4forge';
import { drawFrame } from './draw.js';

export async function renderOnPage(canvas: HTMLCanvasElement, frames: number): Promise<Uint8Array> {
  const { width, height } = canvas;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const writer = await createMp4Writer({ width, height, fps: 30, output: { buffer: true } });
  for (let i = 0; i < frames; i++) {
    drawFrame(ctx, i, width, height);
    await writer.addFrame(ctx.getImageData(0, 0, width, height));
  }
  const { data } = await writer.finish();
  return data!;
}
