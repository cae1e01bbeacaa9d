// mp4forge in a Web Worker: frames drawn on an OffscreenCanvas, the MP4 streamed through a
// WritableStream into a file in the origin-private file system, so memory stays flat however long
// the video is. `encoder: 'auto'` takes the browser's WebCodecs H.264 encoder when it has one.
import { createMp4Writer, type EncoderChoice } from 'mp4forge';
import { drawFrame } from './draw.js';

interface Job { width: number; height: number; frames: number; encoder: EncoderChoice }

self.onmessage = async (e: MessageEvent<Job>) => {
  const { width, height, frames, encoder } = e.data;
  try {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const dir = await navigator.storage.getDirectory();
    const file = await dir.getFileHandle('clip.mp4', { create: true });
    const writer = await createMp4Writer({
      width,
      height,
      fps: 30,
      video: { encoder, gop: 30 },
      layout: 'progressive', // moov last: a stream cannot go back to put it first
      output: await file.createWritable(),
    });
    for (let i = 0; i < frames; i++) {
      drawFrame(ctx, i, width, height);
      await writer.addFrame(ctx.getImageData(0, 0, width, height));
    }
    const result = await writer.finish();
    postMessage({ result, file: await file.getFile() });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
