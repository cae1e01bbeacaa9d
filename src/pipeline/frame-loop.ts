// The one frame loop: draw → convert to I420 → encode, in chunks whose boundaries sit at absolute
// multiples of the chunk size (chunkFramesFor), wherever the caller starts. The writer's
// in-process path, renderSegment and the pool worker all encode through it, so a chunk is the same
// bytes whichever of them encodes it.
import type { ChunkEncoder, CodedFrame } from '../encode/backend.js';
import { toI420 } from '../encode/convert.js';
import { userCallbackError } from './progress.js';

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

/** The draw → I420 step: user drawing into one reused RGBA buffer, then our conversion. */
export class FramePainter {
  private rgba: Uint8Array | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  /** Draws frame `index` with `draw` and converts it into `i420`. */
  async paint(index: number, draw: DrawFrame, i420: Uint8Array): Promise<void> {
    const rgba = (this.rgba ??= new Uint8Array(this.width * this.height * 4));
    await drawFrame(draw, index, rgba);
    toI420(rgba, 'rgba', this.width, this.height, i420);
  }
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
  ) {
    this.painter = new FramePainter(width, height);
  }

  /** Encodes frame `index` (absolute; frames come in order) from I420; returns the coded frames completed so far. */
  async encode(index: number, i420: Uint8Array): Promise<CodedFrame[]> {
    let out: CodedFrame[] = [];
    if (this.open && index % this.chunkFrames === 0) out = await this.flush();
    if (!this.open) {
      await this.encoder.beginChunk(index);
      this.open = true;
    }
    const coded = await this.encoder.encode(i420); // every backend copies the frame
    return out.length === 0 ? coded : out.concat(coded);
  }

  /** Draws frame `index` with `draw`, converts and encodes it. */
  async draw(index: number, draw: DrawFrame): Promise<CodedFrame[]> {
    const yuv = (this.yuv ??= new Uint8Array((this.width * this.height * 3) / 2));
    await this.painter.paint(index, draw, yuv);
    const coded = await this.encode(index, yuv);
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
