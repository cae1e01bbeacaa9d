// H.264 through the platform's WebCodecs `VideoEncoder` (browsers, workers), behind the same chunk
// API as the WASM encoder. The encoder is asked for 'avc' format, so chunks arrive as AVCC
// (length-prefixed NAL units) and the avcC comes in `decoderConfig.description`; the muxer stays
// ours. Frames go in as I420 made by our own RGB→YUV conversion, so colours match the WASM path.
//
// Rate control: `kbps` becomes the encoder's `bitrate` ('variable' mode). `qp` becomes a per-frame
// quantiser where the encoder offers `bitrateMode: 'quantizer'`; where it does not (Chromium's
// OpenH264 encoder, for one), qp is turned into a target bitrate — see {@link bitrateForQp}.
// `speed` and `temporalDenoise` have no WebCodecs equivalent: setting them with this backend is refused.
import { Mp4ForgeError } from '../errors.js';
import { NAL_IDR, parseAvcC, sameAvcConfig, type AvcConfig } from './avc.js';
import { h264Level } from './level.js';
import type { BackendInfo, ChunkEncoder, CodedFrame, EncoderBackend, EncoderContext, EncoderParams, Support } from './backend.js';

/** The encoder config WebCodecs accepted, and how qp is honoured. */
interface WebCodecsConfig {
  supported: true;
  config: VideoEncoderConfig;
  /** True when qp is applied per frame (bitrateMode 'quantizer'); false when it was mapped to a bitrate. */
  quantizer: boolean;
}

const INFO: BackendInfo = { id: 'webcodecs', version: '1' };

/** Frames allowed in the platform encoder's queue before `encode` waits: enough to keep it busy, bounded memory. */
const MAX_QUEUE = 4;

/**
 * The target bitrate (kbit/s) used for `qp` when the encoder has no quantiser mode: about what the
 * WASM encoder's constant-qp mode spends on the built-in plasma pattern (measured at qp 26, 30 fps:
 * 1060 kbit/s at 640×360, 2200 kbit/s at 1280×720), i.e. 0.0397 kbit × pixels^0.55 per frame, ×1.8
 * for every 6 qp lower (measured 1.86× from qp 26 to 20, 1/0.70 from 32 to 26). So 640×360 at
 * 30 fps gets 1060 kbit/s at qp 26, 1908 at qp 20 and 589 at qp 32; 1920×1080 at 30 fps 3549 at qp 26.
 */
export function bitrateForQp(qp: number, width: number, height: number, fps: number): number {
  const perFrame = 0.0397 * (width * height) ** 0.55 * 1.8 ** ((26 - qp) / 6);
  return Math.max(Math.ceil(fps), Math.round(perFrame * fps));
}

/** `avc1.42E0xx`: Constrained Baseline (what the WASM encoder writes too) at the level these parameters need. */
export function avcCodecFor(params: EncoderParams, kbps: number): string {
  return `avc1.42E0${h264Level(params.width, params.height, params.fpsNum, params.fpsDen, kbps).idc.toString(16).padStart(2, '0').toUpperCase()}`;
}

const COLOR_SPACE: VideoColorSpaceInit = { primaries: 'bt709', transfer: 'iec61966-2-1', matrix: 'smpte170m', fullRange: false };

function baseConfig(p: EncoderParams, kbps: number): VideoEncoderConfig {
  return {
    codec: avcCodecFor(p, kbps),
    width: p.width,
    height: p.height,
    framerate: p.fpsNum / p.fpsDen,
    avc: { format: 'avc' },
    latencyMode: 'quality',
  };
}

function webCodecsPresent(): boolean {
  return typeof globalThis.VideoEncoder === 'function' && typeof globalThis.VideoFrame === 'function';
}

async function accepted(config: VideoEncoderConfig): Promise<boolean> {
  try {
    return (await VideoEncoder.isConfigSupported(config)).supported === true;
  } catch {
    return false; // a TypeError for a config this implementation cannot even parse
  }
}

/** Whether this runtime's WebCodecs can encode H.264 with these parameters, and with which config. Never throws. */
async function webCodecsConfig(params: EncoderParams): Promise<WebCodecsConfig | { supported: false; reason: string }> {
  if (!webCodecsPresent()) return { supported: false, reason: 'this runtime has no WebCodecs VideoEncoder/VideoFrame' };
  const refused = (config: VideoEncoderConfig) => ({ supported: false as const, reason: `VideoEncoder.isConfigSupported rejected ${describe(config)}` });
  const base = baseConfig(params, params.kbps);
  if (params.kbps > 0) {
    const config: VideoEncoderConfig = { ...base, bitrateMode: 'variable', bitrate: params.kbps * 1000 };
    return (await accepted(config)) ? { supported: true, config, quantizer: false } : refused(config);
  }
  const withQuantizer: VideoEncoderConfig = { ...base, bitrateMode: 'quantizer' };
  if (await accepted(withQuantizer)) return { supported: true, config: withQuantizer, quantizer: true };
  const kbps = bitrateForQp(params.qp, params.width, params.height, params.fpsNum / params.fpsDen);
  const config: VideoEncoderConfig = { ...baseConfig(params, kbps), bitrateMode: 'variable', bitrate: kbps * 1000 };
  return (await accepted(config)) ? { supported: true, config, quantizer: false } : refused(config);
}

/** The platform's VideoEncoder, driven chunk by chunk; `onConfig` sees every avcC it announces. */
class PlatformStream {
  private readonly encoder: VideoEncoder;
  private ready: CodedFrame[] = [];
  private failure: Mp4ForgeError | null = null;
  private waiters: Array<() => void> = [];
  /** Frames handed to the platform encoder, and chunks received back. */
  private submitted = 0;
  private received = 0;
  private inChunk = false;
  private closed = false;

  constructor(
    private readonly params: EncoderParams,
    private readonly support: WebCodecsConfig,
    private readonly onConfig: (config: AvcConfig) => void,
  ) {
    this.encoder = new VideoEncoder({
      output: (chunk, meta) => this.onOutput(chunk, meta),
      error: (e) => this.onError(e),
    });
    // 'dequeue' events (Chromium 106+) wake a waiting encode(); older encoders are polled (dequeued()).
    if (typeof this.encoder.addEventListener === 'function') this.encoder.addEventListener('dequeue', () => this.wake());
    try {
      this.encoder.configure(support.config);
    } catch (err) {
      this.fail(err); // reported by the first call, as ENCODER_FAILED
    }
  }

  beginChunk(): void {
    this.assertUsable();
    if (this.inChunk) throw new Mp4ForgeError('ENCODER_FAILED', 'beginChunk() called twice without endChunk()');
    if (this.submitted % this.params.gop !== 0)
      throw new Mp4ForgeError('ENCODER_FAILED', `a chunk must start on a GOP boundary (frame ${this.submitted}, GOP ${this.params.gop})`);
    this.inChunk = true;
  }

  async encode(i420: Uint8Array): Promise<CodedFrame[]> {
    this.assertUsable();
    if (!this.inChunk) throw new Mp4ForgeError('ENCODER_FAILED', 'encode() called outside a chunk');
    const { width, height, gop, qp } = this.params;
    const fps = this.params.fpsNum / this.params.fpsDen;
    const index = this.submitted;
    // The VideoFrame copies `i420`, so the caller may reuse it as soon as this returns.
    const frame = new VideoFrame(i420, {
      format: 'I420',
      codedWidth: width,
      codedHeight: height,
      timestamp: Math.round((index * 1e6) / fps),
      duration: Math.round(1e6 / fps),
      colorSpace: COLOR_SPACE,
    });
    try {
      this.encoder.encode(frame, { keyFrame: index % gop === 0, ...(this.support.quantizer ? { avc: { quantizer: qp } } : {}) });
    } catch (err) {
      throw this.fail(err);
    } finally {
      frame.close();
    }
    this.submitted++;
    while (!this.failure && this.encoder.encodeQueueSize > MAX_QUEUE) await this.dequeued();
    this.assertUsable();
    return this.take();
  }

  async endChunk(): Promise<CodedFrame[]> {
    this.assertUsable();
    if (!this.inChunk) throw new Mp4ForgeError('ENCODER_FAILED', 'endChunk() called outside a chunk');
    this.inChunk = false;
    try {
      await this.encoder.flush();
    } catch (err) {
      throw this.fail(err);
    }
    this.assertUsable();
    if (this.received !== this.submitted) {
      throw new Mp4ForgeError(
        'ENCODER_FAILED',
        `The WebCodecs VideoEncoder returned ${this.received} frames for ${this.submitted}; a skipped frame would shift the timeline`,
      );
    }
    return this.take();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.encoder.state !== 'closed') this.encoder.close();
    this.ready = [];
    this.wake();
  }

  private take(): CodedFrame[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private onOutput(chunk: EncodedVideoChunk, meta?: EncodedVideoChunkMetadata): void {
    if (this.failure || this.closed) return;
    try {
      const description = meta?.decoderConfig?.description;
      if (description) this.onConfig(readDescription(description));
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      const keyframe = chunk.type === 'key';
      if (keyframe && !hasIdr(data))
        throw new Mp4ForgeError('ENCODER_FAILED', `The WebCodecs VideoEncoder marked frame ${this.received} 'key' but it holds no IDR slice`);
      this.received++;
      this.ready.push({ data, keyframe });
    } catch (err) {
      this.fail(err);
    }
  }

  private onError(e: DOMException): void {
    this.fail(e);
  }

  private fail(err: unknown): Mp4ForgeError {
    this.failure ??=
      err instanceof Mp4ForgeError
        ? err
        : new Mp4ForgeError('ENCODER_FAILED', `The WebCodecs VideoEncoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.wake();
    return this.failure;
  }

  private assertUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Mp4ForgeError('ENCODER_FAILED', 'The encoder was closed; create a new one.');
  }

  /** Resolves when the encoder takes a frame from its queue; a timer covers encoders without 'dequeue' events. */
  private dequeued(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 20);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** The avcC of a decoderConfig.description, checked for what the muxer needs. */
function readDescription(description: AllowSharedBufferSource): AvcConfig {
  const bytes = ArrayBuffer.isView(description)
    ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength)
    : new Uint8Array(description);
  const config = parseAvcC(bytes);
  if ((bytes[4] & 3) !== 3) throw new Mp4ForgeError('ENCODER_FAILED', `The WebCodecs avcC uses ${(bytes[4] & 3) + 1}-byte NAL lengths; mp4forge expects 4`);
  if (config.profile !== 66 && config.profile !== 77) {
    throw new Mp4ForgeError('ENCODER_FAILED', `The WebCodecs VideoEncoder chose H.264 profile ${config.profile}; mp4forge asked for Constrained Baseline (66)`);
  }
  return config;
}

/** A WebCodecs encoder whose stream must keep the configuration the probe saw. */
class WebCodecsChunkEncoder implements ChunkEncoder {
  readonly backend = INFO;
  private readonly stream: PlatformStream;

  constructor(
    params: EncoderParams,
    support: WebCodecsConfig,
    readonly config: AvcConfig,
  ) {
    this.stream = new PlatformStream(params, support, (seen) => {
      if (!sameAvcConfig(seen, config)) {
        throw new Mp4ForgeError(
          'ENCODER_FAILED',
          'The WebCodecs VideoEncoder changed its SPS/PPS mid-stream; the stream would not be decodable with one avcC.',
        );
      }
    });
  }

  beginChunk(): void {
    this.stream.beginChunk();
  }

  encode(i420: Uint8Array): Promise<CodedFrame[]> {
    return this.stream.encode(i420);
  }

  endChunk(): Promise<CodedFrame[]> {
    return this.stream.endChunk();
  }

  close(): void {
    this.stream.close();
  }
}

/**
 * One grey frame through a throwaway encoder with the same configuration, so the avcC is known
 * before any user frame (the muxer needs it up front).
 */
async function probeConfig(params: EncoderParams, support: WebCodecsConfig): Promise<AvcConfig> {
  let seen: AvcConfig | null = null;
  const probe = new PlatformStream(params, support, (c) => {
    seen ??= c;
  });
  try {
    probe.beginChunk();
    await probe.encode(new Uint8Array((params.width * params.height * 3) / 2).fill(128));
    await probe.endChunk();
  } finally {
    probe.close();
  }
  if (!seen) throw new Mp4ForgeError('ENCODER_FAILED', 'The WebCodecs VideoEncoder gave no avcC (decoderConfig.description) for its first keyframe');
  return seen;
}

/** The platform's WebCodecs VideoEncoder as an mp4forge backend. */
export const webCodecsBackend: EncoderBackend = {
  ...INFO,
  // The platform encoder is neither known to be deterministic nor cheap to restart per chunk.
  chunked: false,

  async supports(params: EncoderParams, context: EncoderContext): Promise<Support> {
    for (const k of ['speed', 'temporalDenoise'] as const) {
      if (params[k] !== undefined)
        return { supported: false, code: 'INVALID_OPTION', reason: `video.${k} has no WebCodecs equivalent; leave it out with encoder 'webcodecs'` };
    }
    if (context.inWorkers) {
      return {
        supported: false,
        code: 'INVALID_OPTION',
        reason: "video.encoder 'webcodecs' cannot run in workers: WebCodecs encodes one stream, off-thread already (use workers: 0)",
      };
    }
    const s = await webCodecsConfig(params);
    return s.supported ? { supported: true } : { supported: false, code: 'UNSUPPORTED_RUNTIME', reason: s.reason };
  },

  async create(params: EncoderParams): Promise<ChunkEncoder> {
    const s = await webCodecsConfig(params);
    if (!s.supported) throw new Mp4ForgeError('UNSUPPORTED_RUNTIME', `WebCodecs cannot encode H.264 here: ${s.reason}`);
    return new WebCodecsChunkEncoder(params, s, await probeConfig(params, s));
  },
};

/** True when an AVCC sample holds an IDR slice (a 'key' chunk must, or `stss` would point at a frame that cannot start decoding). */
function hasIdr(sample: Uint8Array): boolean {
  for (let o = 0; o + 4 < sample.length; ) {
    const len = ((sample[o] << 24) | (sample[o + 1] << 16) | (sample[o + 2] << 8) | sample[o + 3]) >>> 0;
    if ((sample[o + 4] & 0x1f) === NAL_IDR) return true;
    o += 4 + len;
  }
  return false;
}

function describe(config: VideoEncoderConfig): string {
  const { codec, width, height, framerate, bitrate, bitrateMode } = config;
  return JSON.stringify({ codec, width, height, framerate, bitrate, bitrateMode });
}
