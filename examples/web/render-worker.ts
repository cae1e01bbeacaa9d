// The demo's render worker: one job at a time, progress about ten times a second, the finished
// file (transferred, not copied) with what probeMp4 reads back from it.
import { audio, bytesSource, createMp4Writer, drawPattern, isMp4ForgeError, probeMp4, renderVideo, type AudioInput, type Mp4WriterResult } from 'mp4forge';
import type { FromWorker, RenderRequest, ToWorker } from './protocol.js';

const post = (msg: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);
let controller: AbortController | null = null;

async function render(req: RenderRequest): Promise<void> {
  const total = Math.round(req.seconds * req.fps);
  controller = new AbortController();
  const started = performance.now();
  let lastReport = 0;
  let sound: AudioInput | undefined;
  if (req.sound.kind === 'melody') sound = audio.melody({ seconds: req.seconds });
  else if (req.sound.kind === 'mp3') sound = new Uint8Array(req.sound.bytes);
  const common = {
    width: req.width,
    height: req.height,
    fps: req.fps,
    output: { buffer: true } as const,
    video: { qp: req.qp, encoder: req.encoder },
    ...(sound ? { audio: sound, audioLength: req.sound.kind === 'mp3' && req.sound.loop ? ('loop' as const) : ('trim' as const) } : {}),
    signal: controller.signal,
    onProgress: (p: { frames: number; fps: number; bytes: number }) => {
      const now = performance.now();
      if (now - lastReport < 100 && p.frames < total) return;
      lastReport = now;
      post({ type: 'progress', frames: p.frames, total, fps: p.fps, bytes: p.bytes });
    },
  };
  let result: Mp4WriterResult;
  if (req.workers !== 0) {
    // Encode workers draw the pattern and encode whole GOPs in parallel; this worker only muxes.
    result = await renderVideo({ ...common, frames: total, scene: req.pattern, workers: req.workers });
  } else {
    const writer = await createMp4Writer(common);
    const rgba = new Uint8Array(req.width * req.height * 4);
    let lastYield = performance.now();
    for (let i = 0; i < total; i++) {
      drawPattern(req.pattern, rgba, req.width, req.height, i);
      await writer.addFrame(rgba);
      // Back to the event loop every 50 ms, so a 'cancel' message is read promptly: the WASM
      // encoder never yields on its own (its awaits are all microtasks).
      if (performance.now() - lastYield > 50) {
        await new Promise((r) => setTimeout(r, 0));
        lastYield = performance.now();
      }
    }
    result = await writer.finish();
  }
  const data = result.data as Uint8Array;
  const probe = await probeMp4(bytesSource(data));
  post(
    {
      type: 'done',
      data,
      frames: result.frames,
      encoder: result.videoEncoder,
      workers: req.workers,
      elapsedSeconds: (performance.now() - started) / 1000,
      probe,
    },
    [data.buffer],
  );
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    controller?.abort(new Error('cancelled by the user'));
    return;
  }
  render(msg)
    .catch((err: unknown) => {
      post({ type: 'error', code: isMp4ForgeError(err) ? err.code : 'ERROR', message: err instanceof Error ? err.message : String(err) });
    })
    .finally(() => {
      controller = null;
    });
};
