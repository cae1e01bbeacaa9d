// Quick soak (part of `npm test`): 200 writer lifecycles in one process, mixing every ending
// (finish, abort(), AbortSignal, a throwing frame callback, an output failing with EPIPE), every
// layout and every kind of output, and both WASM encoders (mp4forge's own and h264-mp4-encoder,
// in turn). Afterwards nothing may be left behind:
//  - every h264-mp4-encoder instance created was deleted (Embind handles report isDeleted()),
//  - every instance of mp4forge's own encoder can be collected: after a full GC no more than the
//    last lifecycle's is still reachable (its WebAssembly memory is dropped with it),
//  - no files, spool files or process listeners remain,
//  - the V8 heap after a full GC grows by less than HEAP_BOUND from lifecycle 40 to 200, and RSS by
//    less than RSS_BOUND (RSS also holds freed-but-kept allocator pages, hence the looser bound).
// The 30-minute soak with flat RSS is `npm run soak` (bench/soak.mjs), outside CI. For a longer
// look here: SOAK_LIFECYCLES=1500 SOAK_TRACE=1 npx vitest run test/soak.test.ts (measured: RSS
// settles near 112–122 MiB after ~200 lifecycles and stays there to 1500; the heap after GC
// grows 1.4 MiB by lifecycle 200 and not further; WASM memory stays at 16 MiB).
// (Lifecycles are short, 2–5 frames of 64×64, so 200 of them take a few seconds.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { createMp4Writer, type Mp4ForgeError, type Mp4WriterOptions, type Sink } from '../src/index.js';
import { drawPattern } from '../src/generate/patterns.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { tmpFile } from './helpers/render.js';

/** Every Embind encoder handle the library creates, so the test can check each was deleted. */
const handles = vi.hoisted(() => ({ live: [] as { isDeleted(): boolean }[], created: 0 }));
vi.mock(import('../src/encode/wasm-module.js'), async (importOriginal) => {
  const m = await importOriginal();
  return {
    ...m,
    loadWasmModule: async () => {
      const mod = await m.loadWasmModule();
      return {
        createH264MP4Encoder: async () => {
          const e = await mod.createH264MP4Encoder();
          handles.created++;
          handles.live.push(e as unknown as { isDeleted(): boolean });
          return e;
        },
      };
    },
  };
});

/** Every instance of mp4forge's own encoder, held weakly: a closed encoder must become collectable. */
const own = vi.hoisted(() => ({ refs: [] as WeakRef<WebAssembly.Memory>[], created: 0 }));
vi.mock(import('../src/encode/h264/wasm-encoder.js'), async (importOriginal) => {
  const m = await importOriginal();
  const create = m.AsmH264Encoder.create.bind(m.AsmH264Encoder);
  m.AsmH264Encoder.create = async (params) => {
    const e = await create(params);
    own.created++;
    own.refs.push(new WeakRef((e as unknown as { x: { memory: WebAssembly.Memory } }).x.memory));
    return e;
  };
  return m;
});

// h264-mp4-encoder's WASM linear memory (outside the V8 heap, inside RSS): its size must not grow.
const wasmMemories = vi.hoisted(() => {
  const list: WebAssembly.Memory[] = [];
  const Native = WebAssembly.Memory;
  const Wrapped = function Memory(d: WebAssembly.MemoryDescriptor) {
    const m = new Native(d);
    list.push(m);
    return m;
  } as unknown as typeof WebAssembly.Memory;
  Wrapped.prototype = Native.prototype;
  WebAssembly.Memory = Wrapped;
  return list;
});
const wasmBytes = () => wasmMemories.reduce((n, m) => n + m.buffer.byteLength, 0);

// A real full GC without a command-line flag (vitest's workers are not started with --expose-gc).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const LIFECYCLES = Number(process.env.SOAK_LIFECYCLES ?? 200);
const WARMUP = 40;
const HEAP_BOUND = 4 << 20;
const RSS_BOUND = 48 << 20;
const W = 64;
const H = 64;

type Ending = 'finish' | 'abort()' | 'signal' | 'callback throws' | 'EPIPE';
const ENDINGS: Ending[] = ['finish', 'abort()', 'signal', 'callback throws', 'EPIPE'];
const LAYOUTS = ['faststart', 'progressive', 'fragmented'] as const;
const OUTPUTS = ['buffer', 'file', 'sink', 'node-writable', 'web-stream'] as const;

function output(
  kind: (typeof OUTPUTS)[number],
  file: string,
  failAfter: number | null,
): { output: Mp4WriterOptions['output']; bytes: () => Uint8Array | null } {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const take = (b: Uint8Array): Error | null => {
    if (failAfter !== null && (n += b.length) > failAfter) return Object.assign(new Error('EPIPE: broken pipe'), { code: 'EPIPE' });
    chunks.push(b.slice());
    return null;
  };
  const collected = () => new Uint8Array(Buffer.concat(chunks));
  switch (kind) {
    case 'buffer':
      return { output: { buffer: true }, bytes: () => null };
    case 'file':
      return { output: file, bytes: () => (existsSync(file) ? new Uint8Array(readFileSync(file)) : null) };
    case 'sink': {
      const sink: Sink = {
        write: async (b) => {
          const e = take(b);
          if (e) throw e;
        },
        close: async () => {},
        abort: async () => {},
      };
      return { output: sink, bytes: collected };
    }
    case 'node-writable':
      return { output: new Writable({ write: (c: Buffer, _e, cb) => cb(take(c)) }), bytes: collected };
    case 'web-stream':
      return {
        output: new WritableStream<Uint8Array>({
          write(c) {
            const e = take(c);
            if (e) throw e;
          },
        }),
        bytes: collected,
      };
  }
}

async function lifecycle(i: number): Promise<Ending> {
  const ending = ENDINGS[i % ENDINGS.length];
  const layout = LAYOUTS[Math.floor(i / ENDINGS.length) % LAYOUTS.length];
  let kind = OUTPUTS[Math.floor(i / (ENDINGS.length * LAYOUTS.length)) % OUTPUTS.length];
  if (ending === 'EPIPE' && (kind === 'buffer' || kind === 'file')) kind = 'sink';
  const file = tmpFile(`soak-${i}.mp4`);
  const out = output(kind, file, ending === 'EPIPE' ? 600 + ((i * 137) % 3000) : null);
  const ac = new AbortController();
  const frames = 2 + (i % 4);
  const encoder = i % 2 === 0 ? 'wasm' : 'h264-mp4-encoder';
  const w = await createMp4Writer({ width: W, height: H, fps: 30, output: out.output, layout, signal: ac.signal, video: { gop: 2, encoder } });
  const rgba = new Uint8Array(W * H * 4);
  const label = `lifecycle ${i}: ${ending}, ${layout} → ${kind}`;
  const settle = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
  switch (ending) {
    case 'finish': {
      await w.addFrames(frames, 'plasma');
      const r = await w.finish();
      expect(r.frames, label).toBe(frames);
      const bytes = r.data ?? out.bytes();
      expect(bytes?.length, label).toBe(r.bytes);
      if (i % 10 === 0) assertValidIsoBmff(bytes as Uint8Array);
      break;
    }
    case 'abort()':
      await w.addFrames(frames, 'plasma');
      await w.abort(new Error('stop'));
      expect(((await settle(w.finish())) as Mp4ForgeError).code, label).toBe('ABORTED');
      break;
    case 'signal':
      await w.addFrames(frames, 'plasma');
      ac.abort();
      expect(((await settle(w.addFrame(rgba))) as Mp4ForgeError).code, label).toBe('ABORTED');
      break;
    case 'callback throws': {
      const err = (await settle(
        w.addFrames(frames + 3, (k, px) => {
          if (k === frames) throw new Error('boom');
          drawPattern('plasma', px, W, H, k);
        }),
      )) as Mp4ForgeError;
      expect(err.code, label).toBe('USER_CALLBACK_FAILED');
      expect(err.details.frameIndex, label).toBe(frames);
      break;
    }
    case 'EPIPE': {
      let err: unknown = null;
      for (let k = 0; k < 30 && !err; k++) {
        drawPattern('noise', rgba, W, H, k);
        err = await settle(w.addFrame(rgba));
      }
      err ??= await settle(w.finish());
      expect((err as Mp4ForgeError)?.code, label).toBe('SINK_FAILED');
      break;
    }
  }
  // Files: faststart/progressive kept only when finished; fragmented also keeps complete fragments.
  if (kind === 'file' && layout !== 'fragmented') expect(existsSync(file), label).toBe(ending === 'finish');
  if (kind === 'file' && layout === 'fragmented' && existsSync(file)) assertValidIsoBmff(readFileSync(file));
  return ending;
}

function spoolFiles(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`mp4forge-${process.pid}-`) && f.endsWith('.spool'));
}

function settledMemory(): { heap: number; rss: number; wasm: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, wasm: wasmBytes() };
}

describe('soak: writer lifecycles in one process', () => {
  it(`${LIFECYCLES} lifecycles: every encoder instance deleted, nothing left behind, heap and RSS bounded`, async () => {
    const listeners = () => ['uncaughtException', 'unhandledRejection', 'exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e));
    const before = listeners();
    const counts: Record<string, number> = {};
    let warm = { heap: 0, rss: 0, wasm: 0 };
    const t0 = performance.now();
    for (let i = 0; i < LIFECYCLES; i++) {
      const ending = await lifecycle(i);
      counts[ending] = (counts[ending] ?? 0) + 1;
      // Each lifecycle's encoder handles (the config owner plus one per chunk) are all deleted.
      const open = handles.live.filter((h) => !h.isDeleted()).length;
      expect(open, `lifecycle ${i} (${ending}) left ${open} WASM encoder instance(s) undeleted`).toBe(0);
      handles.live.length = 0;
      if (process.env.SOAK_TRACE && (i + 1) % 100 === 0) {
        const m = (gc(), process.memoryUsage());
        console.log(
          `trace ${i + 1}: rss ${(m.rss / 2 ** 20).toFixed(1)} heapTotal ${(m.heapTotal / 2 ** 20).toFixed(1)} external ${(m.external / 2 ** 20).toFixed(1)} arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(1)}`,
        );
      }
      if (i + 1 === WARMUP) {
        await new Promise((r) => setTimeout(r, 20));
        warm = settledMemory();
      }
    }
    await new Promise((r) => setTimeout(r, 20));
    const end = settledMemory();
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
    console.log(
      `soak: ${LIFECYCLES} lifecycles ${JSON.stringify(counts)} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
        `${handles.created} h264-mp4-encoder and ${own.created} own encoder instances; ` +
        `heap after GC ${mib(warm.heap)} at ${WARMUP} → ${mib(end.heap)} at ${LIFECYCLES} (${mib(end.heap - warm.heap)}, bound ${mib(HEAP_BOUND)}); ` +
        `RSS ${mib(warm.rss)} → ${mib(end.rss)} (${mib(end.rss - warm.rss)}, bound ${mib(RSS_BOUND)}); WASM memory ${mib(warm.wasm)} → ${mib(end.wasm)}`,
    );
    expect(handles.created).toBeGreaterThanOrEqual(LIFECYCLES);
    expect(own.created).toBe(LIFECYCLES / 2);
    const alive = own.refs.filter((r) => r.deref() !== undefined).length;
    expect(alive, `${alive} of ${own.created} instances of the own encoder still reachable after GC`).toBeLessThanOrEqual(1);
    expect(end.heap - warm.heap).toBeLessThan(HEAP_BOUND);
    expect(end.rss - warm.rss).toBeLessThan(RSS_BOUND);
    // Encoder instances are freed, so the WASM heap is reused instead of grown.
    expect(end.wasm).toBeGreaterThan(0);
    expect(end.wasm).toBe(warm.wasm);
    expect(spoolFiles()).toEqual([]);
    expect(listeners()).toEqual(before);
  });
});
