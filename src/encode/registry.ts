// The registry behind `video.encoder`: every backend mp4forge has, and the one place that turns a
// choice ('auto', 'wasm' or a backend id) into a backend. The writer, renderSegment and the pool
// worker get their encoders here and nowhere else (test/architecture.test.ts checks that no module
// outside src/encode imports a backend).
import { Mp4ForgeError } from '../errors.js';
import type { ChunkEncoder, EncoderBackend, EncoderChoice, EncoderContext, EncoderId, EncoderParams } from './backend.js';
import { wasmBackend } from './h264/backend.js';
import { h264Mp4EncoderBackend } from './h264-mp4-encoder.js';
import { webCodecsBackend } from './webcodecs-encoder.js';

const BACKENDS: readonly EncoderBackend[] = [wasmBackend, h264Mp4EncoderBackend, webCodecsBackend];

/** Every value `video.encoder` accepts. */
export const ENCODER_CHOICES: readonly EncoderChoice[] = ['auto', 'wasm', 'h264-mp4-encoder', 'webcodecs'];

/**
 * What 'auto' tries, in order: the platform encoder where it can encode these parameters, else
 * mp4forge's own encoder, else (a runtime without WASM SIMD) h264-mp4-encoder.
 */
const AUTO: readonly EncoderId[] = ['webcodecs', 'wasm', 'h264-mp4-encoder'];

/** The backend registered under `id`. */
export function backendById(id: string): EncoderBackend {
  const b = BACKENDS.find((x) => x.id === id);
  if (!b) throw new Mp4ForgeError('INVALID_OPTION', `no H.264 encoder backend '${id}'; this mp4forge has ${BACKENDS.map((x) => `'${x.id}'`).join(', ')}`);
  return b;
}

export interface ResolveContext extends EncoderContext {
  /**
   * The caller needs independent, deterministic chunks (segments that must stitch): a backend
   * without them is refused, and 'auto' skips it.
   */
  chunks: boolean;
}

/**
 * The backend `choice` means for these parameters here. 'auto' takes the first of AUTO that
 * supports them; a named backend that cannot is refused with its reason
 * (`UNSUPPORTED_RUNTIME` for a runtime that lacks it, `INVALID_OPTION` for an option it lacks).
 */
export async function resolveBackend(choice: EncoderChoice, params: EncoderParams, context: ResolveContext): Promise<EncoderBackend> {
  const usable = (b: EncoderBackend) => !(context.chunks || context.inWorkers) || b.chunked;
  if (choice === 'auto') {
    for (const id of AUTO) {
      const b = backendById(id);
      if (usable(b) && (await b.supports(params, context)).supported) return b;
    }
    return checked(backendById('wasm'), params, context);
  }
  return checked(backendById(choice), params, context);
}

async function checked(b: EncoderBackend, params: EncoderParams, context: ResolveContext): Promise<EncoderBackend> {
  const s = await b.supports(params, context);
  if (!s.supported) {
    // An option the backend lacks is named by its reason (`video.qp must be …`); a runtime that lacks the backend, by the choice.
    if (s.code === 'INVALID_OPTION') throw new Mp4ForgeError('INVALID_OPTION', s.reason);
    throw new Mp4ForgeError(s.code, `video.encoder '${b.id}' cannot be used here: ${s.reason}; encoder 'auto' falls back to one that can`);
  }
  if (context.chunks && !b.chunked) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `video.encoder '${b.id}' cannot render segments: its chunks are not independent and deterministic, so segments would not stitch; use 'wasm'`,
    );
  }
  return b;
}

/** Opens an encoder for `choice` (see {@link resolveBackend}). */
export async function createEncoder(choice: EncoderChoice, params: EncoderParams, context: ResolveContext): Promise<ChunkEncoder> {
  return (await resolveBackend(choice, params, context)).create(params);
}
