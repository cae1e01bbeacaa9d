// The encode worker's side of the protocol (runEncodeWorker), run on this thread through a fake
// port: the frame-mode messages and what they transfer, and how a worker refuses another build's
// backend and then stays silent. The pool's side is test/chunk-pool.test.ts; real threads,
// test/worker-pool.test.ts.
import { describe, expect, it } from 'vitest';
import { backendById } from '../src/encode/registry.js';
import type { FromWorker, ToWorker } from '../src/pool/protocol.js';
import { runEncodeWorker, type WorkerPort } from '../src/pool/worker-core.js';

const W = 32;
const H = 32;
const params = { width: W, height: H, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, speed: 6, gop: 16, temporalDenoise: false };

/** A port that records what the worker posts (with its transfer list) and lets the test send. */
class FakePort implements WorkerPort {
  readonly out: { message: FromWorker; transfer: ArrayBuffer[] }[] = [];
  private handler: (m: ToWorker) => void = () => {};
  private waiting: { n: number; resolve: () => void } | null = null;
  post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
    this.out.push({ message, transfer });
    if (this.waiting && this.out.length >= this.waiting.n) this.waiting.resolve();
  }
  onMessage(handler: (m: ToWorker) => void): void {
    this.handler = handler;
  }
  send(m: ToWorker): void {
    this.handler(m);
  }
  /** Resolves once the worker has posted `n` messages in all. */
  posted(n: number): Promise<void> {
    if (this.out.length >= n) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { n, resolve }));
  }
}

function frame(i: number): Uint8Array {
  const yuv = new Uint8Array((W * H * 3) / 2);
  for (let p = 0; p < W * H; p++) yuv[p] = (p * 7 + i * 13) & 0xff;
  yuv.fill(128, W * H);
  return yuv;
}

describe('runEncodeWorker', () => {
  it('frame mode: coded frames and the input buffer go back transferred; done counts what was sent', async () => {
    const backend = backendById('wasm');
    const port = new FakePort();
    runEncodeWorker(port);
    port.send({ type: 'init', backend: { id: backend.id, version: backend.version }, params, chunkFrames: 16, scene: null });
    await port.posted(1);
    expect(port.out[0].message.type).toBe('ready');
    const inputs = [frame(0), frame(1), frame(2)];
    port.send({ type: 'begin', chunk: 1 });
    for (const yuv of inputs) port.send({ type: 'frame', chunk: 1, yuv });
    port.send({ type: 'end', chunk: 1 });
    const last = () => port.out.at(-1)?.message;
    for (let t = 0; last()?.type !== 'done' && last()?.type !== 'error'; t++) {
      expect(t).toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 10));
    }
    const coded = port.out.filter((o) => o.message.type === 'coded');
    let frames = 0;
    const returned: Uint8Array[] = [];
    for (const { message, transfer } of coded) {
      if (message.type !== 'coded') continue;
      expect(message.chunk).toBe(1);
      for (const f of message.frames) expect(transfer).toContain(f.data.buffer);
      if (message.yuv) {
        expect(transfer).toContain(message.yuv.buffer);
        returned.push(message.yuv);
      }
      frames += message.frames.length;
    }
    // Each input buffer itself comes back, in order, for reuse.
    expect(returned).toHaveLength(inputs.length);
    expect(returned.every((b, i) => b === inputs[i])).toBe(true);
    expect(frames).toBe(3);
    expect(last()).toEqual({ type: 'done', chunk: 1, frames: 3 });
    // A chunk starts with an IDR.
    const first = coded.find((o) => o.message.type === 'coded' && o.message.frames.length > 0)?.message;
    expect(first?.type === 'coded' && first.frames[0].keyframe).toBe(true);
  });

  it("refuses another build's backend version with WORKER_FAILED, then answers nothing more", async () => {
    const backend = backendById('wasm');
    const port = new FakePort();
    runEncodeWorker(port);
    port.send({ type: 'init', backend: { id: backend.id, version: `${backend.version}-other` }, params, chunkFrames: 16, scene: null });
    port.send({ type: 'begin', chunk: 0 });
    port.send({ type: 'frame', chunk: 0, yuv: frame(0) });
    port.send({ type: 'end', chunk: 0 });
    await port.posted(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(port.out.map((o) => o.message)).toEqual([
      { type: 'error', error: { code: 'WORKER_FAILED', message: expect.stringMatching(/two mp4forge builds/), user: false } },
    ]);
  });
});
