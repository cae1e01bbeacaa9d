// The demo's render worker: one job at a time, progress about ten times a second, the finished
// file (transferred, not copied) with what probeMp4 reads back from it.
import { audio, bytesSource, createMp4Writer, drawPattern, isMp4ForgeError, probeMp4, type AudioInput } from 'mp4forge';
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
  const writer = await createMp4Writer({
    width: req.width,
    height: req.height,
    fps: req.fps,
    output: { buffer: true },
    video: { qp: req.qp, encoder: req.encoder },
    ...(sound ? { audio: sound, audioLength: req.sound.kind === 'mp3' && req.sound.loop ? 'loop' : 'trim' } : {}),
    signal: controller.signal,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastReport < 100 && p.frames < total) return;
      lastReport = now;
      post({ type: 'progress', frames: p.frames, total, fps: p.fps, bytes: p.bytes });
    },
  });
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
  const result = await writer.finish();
  const data = result.data as Uint8Array;
  const probe = await probeMp4(bytesSource(data));
  post(
    { type: 'done', data, frames: result.frames, encoder: result.videoEncoder, elapsedSeconds: (performance.now() - started) / 1000, probe },
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
