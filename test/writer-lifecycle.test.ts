// The writer's state machine and the frame pipeline around it, where the tenth mutation pass found
// them unchecked. Here: the frame loop's turn for timers, and a memory output written after abort().
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { renderVideo } from '../src/index.js';
import { rejection } from './helpers/rejection.js';

describe('renderVideo with a scene function on this thread', () => {
  it('gives timers a turn while it encodes: a timer set at frame 3 aborts the render long before its end', async () => {
    // The encoder is synchronous and a buffer output never waits on I/O, so only the frame loop's
    // periodic yield lets the timer (and with it the signal) fire before the last frame.
    const ac = new AbortController();
    const frames = 20_000;
    let drawn = 0;
    const err = await rejection(
      renderVideo({
        width: 64,
        height: 64,
        fps: 30,
        frames,
        output: { buffer: true },
        signal: ac.signal,
        scene: (i, rgba) => {
          drawn++;
          rgba.fill(i & 255);
          if (i === 3) setTimeout(() => ac.abort(new Error('timer')), 0);
        },
      }),
    );
    expect(err.code).toBe('ABORTED');
    expect(drawn).toBeLessThan(frames);
  });

  it('a memory output refuses writes after abort() instead of spinning on them (the render above hung one run in six)', async () => {
    // The render above hung about one run in six: the abort fired in the loop's yield, and the frame
    // coded before it went on to the muxer, whose write grew the aborted MemorySink's empty buffer
    // by doubling 0. Checked here on a thread of its own, so that a spin fails the test, not the run.
    const hooks = process.env.MP4FORGE_WORKER_HOOKS as string;
    const sink = new URL('../src/mux/sink.ts', import.meta.url).href;
    const code = `const { parentPort } = require('node:worker_threads');
      import('node:module').then((m) => m.register(${JSON.stringify(hooks)})).then(() => import(${JSON.stringify(sink)})).then(async ({ MemorySink }) => {
        const s = new MemorySink();
        await s.write(new Uint8Array(100));
        await s.abort('stop', true);
        const r = await Promise.allSettled([s.write(new Uint8Array(4)), s.writeAt(new Uint8Array(4), 0)]);
        const settled = r.map((x) => (x.status === 'rejected' ? x.reason.code + ': ' + x.reason.message : 'written'));
        parentPort.postMessage({ settled, bytes: s.data().length });
      });`;
    const worker = new Worker(code, { eval: true });
    const answer = await Promise.race([
      new Promise((resolve) => worker.once('message', resolve)),
      new Promise((resolve) => setTimeout(() => resolve('no answer in 20 s'), 20_000)),
    ]);
    await worker.terminate();
    const refused = 'SINK_FAILED: Writing the output failed: the output was aborted';
    expect(answer).toEqual({ settled: [refused, refused], bytes: 0 });
  });
});
