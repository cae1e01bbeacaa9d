// The encoder backends behind one chunk API, and the choice between them ('auto' | 'wasm' |
// 'webcodecs'). Both take I420 frames and give AVCC frames (4-byte NAL lengths) plus one avcC, so
// the muxer (ours, in both cases) never knows which one ran.
import { Mp4ForgeError } from '../errors.js';
import type { AvcConfig } from './avc.js';
import { WasmH264Encoder, type CodedFrame, type H264Params } from './h264-encoder.js';
import { WebCodecsH264Encoder } from './webcodecs-encoder.js';

/** Which H.264 encoder to use: 'wasm' (h264-mp4-encoder, everywhere), 'webcodecs' (the browser's `VideoEncoder`), or 'auto'. */
export type EncoderBackend = 'auto' | 'wasm' | 'webcodecs';

/** The backend that actually ran. */
export type UsedEncoder = 'wasm' | 'webcodecs';

/**
 * What the writer drives: chunks of whole GOPs, frames in presentation order (no B-frames), and
 * one stream configuration for the whole file. Results may be returned synchronously (WASM) or as
 * promises (WebCodecs, which encodes off-thread).
 */
export interface H264ChunkEncoder {
  readonly kind: UsedEncoder;
  /** The SPS/PPS every frame refers to, known before the first user frame. */
  readonly config: AvcConfig;
  /** Starts a chunk; its first frame is a keyframe. */
  beginChunk(): Promise<void>;
  /** Encodes one I420 frame (the buffer may be reused once this returns/resolves); returns the frames completed so far, in order. */
  encode(i420: Uint8Array): CodedFrame[] | Promise<CodedFrame[]>;
  /** Ends the chunk and returns its remaining frames. */
  endChunk(): CodedFrame[] | Promise<CodedFrame[]>;
  /** Frees the encoder. Safe to call more than once. */
  close(): void;
}

/** Opens the encoder `backend` asks for; 'auto' takes WebCodecs when it can encode these parameters, else WASM. */
export async function openH264Encoder(params: H264Params, backend: EncoderBackend): Promise<H264ChunkEncoder> {
  if (backend === 'wasm') return WasmH264Encoder.create(params);
  const support = await WebCodecsH264Encoder.support(params);
  if (support.supported) return WebCodecsH264Encoder.create(params, support);
  if (backend === 'auto') return WasmH264Encoder.create(params);
  throw new Mp4ForgeError('UNSUPPORTED_RUNTIME', `video.encoder 'webcodecs' is not available here: ${support.reason}. Use encoder 'auto' to fall back to the WASM encoder.`);
}
