// The one frame loop: draw → convert to I420 → encode, in chunks whose boundaries sit at absolute
// multiples of the chunk size (chunkFramesFor), wherever the caller starts. The writer's
// in-process path, renderSegment and the pool worker all encode through it, so a chunk is the same
// bytes whichever of them encodes it. An encoder that converts RGB itself (mp4forge's own) gets
// frames as RGB: drawn straight into its memory when the loop draws them, so they are never copied.
import type { ChunkEncoder, CodedFrame, RgbLayout } from '../encode/backend.js';
import type { PixelFormat } from '../encode/convert.js';
import type { FrameConverter } from '../encode/frame-converter.js';
import { userCallbackError } from './progress.js';

/** One frame as it travels from the caller to an encoder: I420, or packed RGB for an encoder that converts itself. */
export interface Frame {
  format: PixelFormat;
  data: Uint8Array;
  /**
   * The encoder took the frame already (its loadRgb or loadI420; `data` is empty): encoded without
   * another copy. Valid only while nothing else calls the encoder before this frame.
   */
  inEncoder?: boolean;
}

/** Paints frame `frameIndex` into `rgba`; may be async (it is awaited before the frame is encoded). */
export type DrawFrame = (frameIndex: number, rgba: Uint8Array) => void | Promise<void>;

/** Runs user drawing code for one frame; a throw or rejection becomes USER_CALLBACK_FAILED naming the frame. */
export async function drawFrame(draw: DrawFrame, frameIndex: number, rgba: Uint8Array): Promise<void> {
  try {
    await draw(frameIndex, rgba);
  } catch (err) {
    throw userCallbackError('the frame callback', frameIndex, err);
  }
}

/** The draw → I420 step: user drawing into one reused RGBA buffer, then the conversion. */
export class FramePainter {
  private rgba: Uint8Array | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly converter: FrameConverter,
  ) {}

  /** Draws frame `index` with `draw` and converts it into `i420`. */
  async paint(index: number, draw: DrawFrame, i420: Uint8Array): Promise<void> {
    const rgba = (this.rgba ??= new Uint8Array(this.width * this.height * 4));
    await drawFrame(draw, index, rgba);
    this.converter.toI420(rgba, 'rgba', i420);
  }
}

/** Whether `encoder` takes this packed RGB format itself. */
export function takesRgb(encoder: ChunkEncoder, format: PixelFormat): format is RgbLayout {
  return format !== 'yuv420p' && typeof encoder.encodeRgb === 'function';
}

export class FrameLoop {
  private open = false;
  private readonly painter: FramePainter;
  private yuv: Uint8Array | null = null;
  private lastYield = Date.now();

  constructor(
    readonly encoder: ChunkEncoder,
    private readonly chunkFrames: number,
    readonly width: number,
    readonly height: number,
    converter: FrameConverter,
  ) {
    this.painter = new FramePainter(width, height, converter);
  }

  /** Starts a new chunk where one begins; returns the coded frames the previous chunk still held. */
  private async enter(index: number): Promise<CodedFrame[]> {
    let out: CodedFrame[] = [];
    if (this.open && index % this.chunkFrames === 0) out = await this.flush();
    if (!this.open) {
      await this.encoder.beginChunk(index);
      this.open = true;
    }
    return out;
  }

  /**
   * Encodes frame `index` (absolute; frames come in order): I420, or packed RGB when the encoder
   * takes it (see takesRgb). Returns the coded frames completed so far. Every backend copies the frame.
   */
  async encode(index: number, frame: Frame): Promise<CodedFrame[]> {
    const out = await this.enter(index);
    const coded = takesRgb(this.encoder, frame.format)
      ? await (this.encoder.encodeRgb as NonNullable<ChunkEncoder['encodeRgb']>)(frame.format, frame.inEncoder ? undefined : frame.data)
      : await this.encoder.encode(frame.inEncoder ? undefined : frame.data);
    return out.length === 0 ? coded : out.concat(coded);
  }

  /** Draws frame `index` with `draw` and encodes it: into the encoder's own memory where it can, else converted. */
  async draw(index: number, draw: DrawFrame): Promise<CodedFrame[]> {
    let coded: CodedFrame[];
    const e = this.encoder;
    if (e.rgbView && e.encodeRgb) {
      const out = await this.enter(index);
      // Nothing else calls the encoder until encodeRgb(), so the view stays valid while the scene draws.
      await drawFrame(draw, index, e.rgbView('rgba'));
      const frame = await e.encodeRgb('rgba');
      coded = out.length === 0 ? frame : out.concat(frame);
    } else {
      const yuv = (this.yuv ??= new Uint8Array((this.width * this.height * 3) / 2));
      await this.painter.paint(index, draw, yuv);
      coded = await this.encode(index, { format: 'yuv420p', data: yuv });
    }
    if (Date.now() - this.lastYield > 50) {
      // Encoding is synchronous WASM; give abort signals and timers a turn now and then.
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.lastYield = Date.now();
    }
    return coded;
  }

  /** Ends the open chunk, if any, and returns its remaining frames. */
  async flush(): Promise<CodedFrame[]> {
    if (!this.open) return [];
    this.open = false;
    return this.encoder.endChunk();
  }

  close(): Promise<void> {
    return Promise.resolve(this.encoder.close());
  }
}
