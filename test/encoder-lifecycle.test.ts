// The WASM encoder must not leak into the host process: no console output when a chunk is
// abandoned, no process-wide handlers left behind, and the module stays usable after an abort.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMp4Writer } from '../src/index.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('encoder lifecycle', () => {
  it('does not leave uncaughtException/unhandledRejection listeners on process', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const w = await createMp4Writer({ width: 64, height: 64, fps: 30, output: { buffer: true } });
    await w.addFrame(new Uint8Array(64 * 64 * 4));
    await w.finish();
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it('aborting in the middle of a chunk prints nothing and later writers still work', async () => {
    const printed: unknown[] = [];
    for (const m of ['log', 'warn', 'error', 'info'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a));
    for (let round = 0; round < 3; round++) {
      const w = await createMp4Writer({ width: 160, height: 96, fps: 30, output: { buffer: true }, video: { gop: 30 } });
      for (let i = 0; i < 10 + round * 7; i++) await w.addFrame(new Uint8Array(160 * 96 * 4));
      await w.abort(new Error('user cancelled'));
    }
    const w = await createMp4Writer({ width: 160, height: 96, fps: 30, output: { buffer: true } });
    for (let i = 0; i < 5; i++) await w.addFrame(new Uint8Array(160 * 96 * 4));
    const r = await w.finish();
    expect(r.frames).toBe(5);
    assertValidIsoBmff(r.data as Uint8Array);
    expect(printed).toEqual([]);
  });
});
