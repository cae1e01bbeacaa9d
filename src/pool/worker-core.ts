// The body of an encode worker, independent of the threading API: it owns one WasmH264Encoder and
// encodes whole chunks, either from I420 frames it is sent or from frames it draws itself with a
// scene, and streams the coded frames back one at a time.
import { Mp4ForgeError } from '../errors.js';
import { toI420 } from '../encode/convert.js';
import { WasmH264Encoder, type CodedFrame } from '../encode/h264-encoder.js';
import { loadScene, type SceneDraw } from '../generate/scene.js';
import type { FromWorker, ToWorker, WireError } from './protocol.js';

export interface WorkerPort {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: ToWorker) => void): void;
}

export function runEncodeWorker(port: WorkerPort): void {
  let encoder: WasmH264Encoder | null = null;
  let draw: SceneDraw | null = null;
  let width = 0;
  let height = 0;
  let rgba: Uint8Array | null = null;
  let yuvScratch: Uint8Array | null = null;
  let sent = 0;
  let failed = false;
  // Messages are handled strictly in order, each after the previous one's async work.
  let chain: Promise<void> = Promise.resolve();

  const send = (chunk: number, frames: CodedFrame[], yuv?: Uint8Array) => {
    if (frames.length === 0 && !yuv) return;
    sent += frames.length;
    const transfer = frames.map((f) => f.data.buffer as ArrayBuffer);
    if (yuv) transfer.push(yuv.buffer as ArrayBuffer);
    port.post({ type: 'coded', chunk, frames: frames.map((f) => ({ data: f.data, keyframe: f.keyframe })), ...(yuv ? { yuv } : {}) }, transfer);
  };

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.type) {
      case 'init': {
        width = m.params.width;
        height = m.params.height;
        if (m.scene !== null) draw = await loadScene(m.scene);
        encoder = await WasmH264Encoder.create(m.params);
        port.post({ type: 'ready', config: encoder.config });
        return;
      }
      case 'render': {
        const enc = need(encoder);
        const paint = need(draw);
        rgba ??= new Uint8Array(width * height * 4);
        yuvScratch ??= new Uint8Array((width * height * 3) / 2);
        sent = 0;
        await enc.beginChunk();
        for (let i = m.start; i < m.start + m.count; i++) {
          try {
            await paint(i, rgba, width, height);
          } catch (err) {
            throw new Mp4ForgeError('USER_CALLBACK_FAILED', `the scene's draw() threw at frame ${i}: ${err instanceof Error ? err.message : String(err)}`, {
              cause: err,
              details: { frameIndex: i },
            });
          }
          toI420(rgba, 'rgba', width, height, yuvScratch);
          send(m.chunk, enc.encode(yuvScratch));
        }
        send(m.chunk, enc.endChunk());
        port.post({ type: 'done', chunk: m.chunk, frames: sent });
        return;
      }
      case 'begin':
        sent = 0;
        await need(encoder).beginChunk();
        return;
      case 'frame':
        send(m.chunk, need(encoder).encode(m.yuv), m.yuv); // the WASM side copied the frame
        return;
      case 'end':
        send(m.chunk, need(encoder).endChunk());
        port.post({ type: 'done', chunk: m.chunk, frames: sent });
        return;
    }
  };

  port.onMessage((m) => {
    chain = chain.then(async () => {
      if (failed) return;
      try {
        await handle(m);
      } catch (err) {
        failed = true;
        encoder?.close();
        encoder = null;
        port.post({ type: 'error', error: toWire(err) });
      }
    });
  });
}

function need<T>(v: T | null): T {
  if (v === null) throw new Mp4ForgeError('WORKER_FAILED', 'encode worker used before init');
  return v;
}

function toWire(err: unknown): WireError {
  if (err instanceof Mp4ForgeError) {
    const frameIndex = err.details.frameIndex;
    return { code: err.code, message: err.message, user: err.code === 'USER_CALLBACK_FAILED', ...(typeof frameIndex === 'number' ? { frameIndex } : {}) };
  }
  return { code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err), user: false };
}
