// Turns the `output` option into a Sink.
import { Mp4ForgeError } from './errors.js';
import { isSeekable, MemorySink, sinkFailed, WebStreamSink, type Sink } from './mux/sink.js';
import { nodeWritableSink, openFileSink, openSpool } from './platform/io.js';
import { optionsObject, refuse } from './validate.js';

/**
 * The parts of a Node `stream.Writable` that mp4forge uses. Structural, so the published types do
 * not need `@types/node` (browser projects); any Node Writable fits.
 */
export interface NodeWritableLike {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(callback?: () => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** In memory: the file comes back as `data` in the result. */
export interface BufferOutput {
  buffer: true;
}

/** Where the MP4 goes: a file path (Node), a Node Writable, a WHATWG WritableStream, a custom Sink, or `{ buffer: true }`. */
export type Mp4Output = string | NodeWritableLike | WritableStream<Uint8Array> | Sink | BufferOutput;

export interface ResolvedOutput {
  sink: Sink;
  memory: MemorySink | null;
  /** For faststart on a non-seekable sink. */
  openSpool?: () => Promise<Sink>;
}

function isSink(o: unknown): o is Sink {
  const s = o as Partial<Sink>;
  return !!o && typeof s.write === 'function' && typeof s.close === 'function' && typeof s.abort === 'function';
}

const EXPECTED = 'a file path, a Node Writable, a WritableStream, a Sink or { buffer: true }';

export async function resolveOutput(output: unknown): Promise<ResolvedOutput> {
  if (output === 'buffer') {
    // The magic string of mp4forge ≤ 0.1 (it made a file named "buffer" unreachable): refused, not reinterpreted.
    throw new Mp4ForgeError('INVALID_OPTION', "output 'buffer' is now output: { buffer: true }; for a file named buffer, write output: './buffer'", {
      details: { option: 'output' },
    });
  }
  if (output !== null && typeof output === 'object' && 'buffer' in output) {
    optionsObject(output, 'output', ['buffer']);
    if ((output).buffer !== true) throw refuse('output.buffer', 'true', (output).buffer);
    const memory = new MemorySink();
    return { sink: memory, memory };
  }
  const spool = openSpool;
  // A file path is a seekable temporary file (no spool needed), or a device/FIFO written as a stream.
  if (typeof output === 'string' && output.length > 0) return { sink: await openFileSink(output), memory: null, openSpool: spool };
  if (typeof WritableStream !== 'undefined' && output instanceof WritableStream) {
    return { sink: new WebStreamSink(output as WritableStream<Uint8Array>), memory: null, openSpool: spool };
  }
  if (
    output &&
    typeof (output as NodeWritableLike).write === 'function' &&
    typeof (output as NodeWritableLike).on === 'function' &&
    typeof (output as NodeWritableLike).end === 'function'
  ) {
    return { sink: await nodeWritableSink(output), memory: null, openSpool: spool };
  }
  if (isSink(output)) return { sink: guardSink(output), memory: null, openSpool: spool };
  // A plain object that is none of the above: most likely a misspelt { buffer: true }.
  if (output !== null && typeof output === 'object' && Object.getPrototypeOf(output) === Object.prototype) optionsObject(output, 'output', ['buffer']);
  throw refuse('output', EXPECTED, output);
}

/** Wraps a user's Sink so anything it throws surfaces as SINK_FAILED with the original as `cause`. */
function guardSink(s: Sink): Sink {
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (err) {
        throw sinkFailed(err);
      }
    };
  const seekable = isSeekable(s);
  return {
    write: wrap((b: Uint8Array) => s.write(b)),
    ...(seekable ? { writeAt: wrap((b: Uint8Array, p: number) => s.writeAt(b, p)), readAt: wrap((b: Uint8Array, p: number) => s.readAt(b, p)) } : {}),
    ...(s.settle ? { settle: wrap(() => (s.settle as () => Promise<void>).call(s)) } : {}),
    close: wrap(() => s.close()),
    abort: (reason, incomplete, completeBytes) => s.abort(reason, incomplete, completeBytes),
  };
}
