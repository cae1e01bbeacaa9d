// The 'wasm' backend: mp4forge's own H.264 encoder (this folder). Chunks are independent and
// deterministic — every chunk starts with an IDR and fresh rate-control state, and the module's
// integer arithmetic gives the same bytes in every runtime — so workers and segments may use it.
import type { AvcConfig, ChunkEncoder, EncoderBackend, EncoderParams, Support } from '../backend.js';
import { wasmSimdSupported } from './module.js';
import { AsmH264Encoder, unsupportedParams, WASM_ENCODER } from './wasm-encoder.js';

export const wasmBackend: EncoderBackend = {
  ...WASM_ENCODER,
  chunked: true,

  async supports(params: EncoderParams): Promise<Support> {
    if (!(await wasmSimdSupported())) {
      return {
        supported: false,
        code: 'UNSUPPORTED_RUNTIME',
        reason: "this runtime has no WebAssembly SIMD (v128), which mp4forge's encoder needs; encoder 'h264-mp4-encoder' runs without it",
      };
    }
    const why = unsupportedParams(params);
    return why === null ? { supported: true } : { supported: false, code: 'INVALID_OPTION', reason: why };
  },

  create(params: EncoderParams): Promise<ChunkEncoder> {
    return AsmH264Encoder.create(params);
  },

  // The parameter sets come from the parameters alone (configure() writes them; no frame is coded).
  async configFor(params: EncoderParams): Promise<AvcConfig> {
    const encoder = await AsmH264Encoder.create(params);
    encoder.close();
    return encoder.config;
  },
};
