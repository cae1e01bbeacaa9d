// The body of an encode worker, independent of the threading API: it opens the backend the main
// thread named (through the registry) and encodes whole chunks through the frame loop, either from
// I420 frames it is sent or from frames it draws itself with a scene, and streams the coded frames
// back as they are ready.
import type { CodedFrame } from '../encode/backend.js';
import { openFrameConverter } from '../encode/frame-converter.js';
import { backendById } from '../encode/registry.js';
import { Mp4ForgeError } from '../errors.js';
import { loadScene } from '../generate/scene.js';
import { FrameLoop, type DrawFrame } from '../pipeline/frame-loop.js';
import type { FromWorker, ToWorker, WireError } from './protocol.js';

export interface WorkerPort {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: ToWorker) => void): void;
}

export function runEncodeWorker(port: WorkerPort): void {
  let loop: FrameLoop | null = null;
  let draw: DrawFrame | null = null;
  let chunkFrames = 0;
  /** Frame mode: the next frame's absolute index. */
  let next = 0;
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
  const done = async (chunk: number) => {
    send(chunk, await need(loop).flush());
    port.post({ type: 'done', chunk, frames: sent });
  };

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.type) {
      case 'init': {
        const backend = backendById(m.backend.id);
        if (backend.version !== m.backend.version) {
          throw new Mp4ForgeError(
            'WORKER_FAILED',
            `the worker has ${backend.id} ${backend.version}, the main thread ${m.backend.version}: they come from two mp4forge builds`,
          );
        }
        chunkFrames = m.chunkFrames;
        draw = null;
        if (m.scene !== null) {
          const scene = await loadScene(m.scene);
          draw = (i, rgba) => scene(i, rgba, m.params.width, m.params.height);
        }
        const { width, height } = m.params;
        // A pooled thread serves one writer after another: the last one's encoder goes first.
        const previous = loop;
        loop = null;
        await previous?.close();
        loop = new FrameLoop(await backend.create(m.params), chunkFrames, width, height, await openFrameConverter(width, height));
        port.post({ type: 'ready', config: loop.encoder.config });
        return;
      }
      case 'render': {
        const l = need(loop);
        const paint = need(draw);
        sent = 0;
        for (let i = m.start; i < m.start + m.count; i++) send(m.chunk, await l.draw(i, paint));
        await done(m.chunk);
        return;
      }
      case 'begin':
        sent = 0;
        next = m.chunk * chunkFrames;
        return;
      case 'frame':
        send(m.chunk, await need(loop).encode(next++, { format: 'yuv420p', data: m.yuv }), m.yuv); // the encoder copied the frame
        return;
      case 'end':
        await done(m.chunk);
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
        void loop?.close();
        loop = null;
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
