// Bench worker: draws the frames first (not timed), then times createMp4Writer → finish with the
// requested backend and rate control, RGBA in, MP4 bytes out.
import { createMp4Writer, drawPattern, renderVideo } from 'mp4forge';

let cache = { key: '', frames: [] };

function framesFor(pattern, width, height, count) {
  const key = `${pattern}:${width}x${height}:${count}`;
  if (cache.key !== key) {
    cache = { key: '', frames: [] }; // let the old set go before drawing the new one
    const frames = [];
    for (let i = 0; i < count; i++) {
      const f = new Uint8Array(width * height * 4);
      drawPattern(pattern, f, width, height, i);
      frames.push(f);
    }
    cache = { key, frames };
  }
  return cache.frames;
}

async function support({ width, height, fps, kbps }) {
  if (typeof VideoEncoder !== 'function') return { present: false, supported: false, reason: 'no VideoEncoder in this worker' };
  const out = { present: true };
  const base = { codec: 'avc1.42E01F', width, height, framerate: fps, avc: { format: 'avc' } };
  for (const mode of ['variable', 'constant', 'quantizer']) {
    const config = mode === 'quantizer' ? { ...base, bitrateMode: mode } : { ...base, bitrateMode: mode, bitrate: kbps * 1000 };
    try {
      out[mode] = (await VideoEncoder.isConfigSupported(config)).supported === true;
    } catch (e) {
      out[mode] = `error: ${e.message}`;
    }
  }
  out.supported = out.variable === true;
  return out;
}

self.onmessage = async (e) => {
  const job = e.data;
  try {
    if (job.type === 'support') {
      self.postMessage(await support(job));
      return;
    }
    if (job.type === 'pool') {
      // renderVideo with a pattern scene: 0 draws and encodes here; N starts N encode workers.
      const { pattern, width, height, fps, frames, gop, workers } = job;
      const t0 = performance.now();
      const result = await renderVideo({ width, height, fps, frames, scene: pattern, workers, video: { gop }, output: { buffer: true } });
      const ms = performance.now() - t0;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', result.data));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      self.postMessage({ bytes: result.bytes, frames: result.frames, videoEncoder: result.videoEncoder, ms, sha256 });
      return;
    }
    const { pattern, width, height, fps, frames: count, encoder, kbps, qp, gop } = job;
    const frames = framesFor(pattern, width, height, count);
    const video = { encoder, gop, ...(kbps ? { kbps } : { qp }) };
    const t0 = performance.now();
    const writer = await createMp4Writer({ width, height, fps, output: { buffer: true }, video });
    const tReady = performance.now();
    for (const f of frames) await writer.addFrame(f);
    const result = await writer.finish();
    const t1 = performance.now();
    self.postMessage(
      { mp4: result.data, bytes: result.bytes, frames: result.frames, videoEncoder: result.videoEncoder, ms: t1 - t0, setupMs: tReady - t0 },
      [result.data.buffer],
    );
  } catch (err) {
    self.postMessage({ error: `${err.code ?? err.name}: ${err.message}` });
  }
};
