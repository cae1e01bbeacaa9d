// Renders a short clip in a page or a Web Worker: frames drawn on an OffscreenCanvas, handed to
// mp4forge as ImageData, with a generated melody as the soundtrack. Returns the MP4 bytes.
import { audio, createMp4Writer } from 'mp4forge';

export async function render({ width = 320, height = 240, fps = 15, seconds = 1 } = {}) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const writer = await createMp4Writer({ width, height, fps, output: { buffer: true }, audio: audio.melody({ seconds }) });
  const frames = Math.round(seconds * fps);
  for (let i = 0; i < frames; i++) {
    ctx.fillStyle = `hsl(${(i * 360) / frames} 80% 50%)`;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#fff';
    ctx.fillRect((i * (width - 40)) / frames, height / 2 - 20, 40, 40);
    await writer.addFrame(ctx.getImageData(0, 0, width, height));
  }
  const { data } = await writer.finish();
  return data;
}
