// Progressive and faststart MP4: samples go into chunks of about 0.5 s, interleaved across tracks,
// each chunk written as its own small mdat box the moment it is released. No box is ever patched,
// so progressive output streams to any sink; faststart puts the moov in front at the end, either by
// moving the data in place (seekable sinks) or by replaying a spool (streams).
import { Mp4ForgeError } from '../errors.js';
import { mdatHeader, serializeBoxes } from './box-serialize.js';
import { ftyp, moov, trak } from './boxes.js';
import { Interleaver, type ReleasedChunk } from './interleaver.js';
import { editAndDuration, MuxerBase, type Muxer } from './muxer.js';
import { isSeekable, sinkFailed, type Sink } from './sink.js';
import type { MuxSample, TrackInfo } from './types.js';

export interface Mp4MuxerOptions {
  layout: 'progressive' | 'faststart';
  sink: Sink;
  tracks: TrackInfo[];
  /** For faststart on a sink that cannot seek: where to hold media data until the end. */
  openSpool?: () => Promise<Sink>;
  chunkSeconds?: number;
  /**
   * @internal Bytes moved (or replayed from the spool) at a time when the moov goes in front:
   * tests make it small so a small file crosses many blocks. Default 8 MiB.
   */
  moveBlockBytes?: number;
}

const MOVE_BLOCK = 8 << 20;

export class Mp4Muxer extends MuxerBase implements Muxer {
  private readonly interleaver: Interleaver;
  private readonly ftypBytes = serializeBoxes([ftyp(false)]);
  /** Where chunks go: the sink itself, or a spool for faststart on a non-seekable sink. */
  private target: Sink | null = null;
  private spool: Sink | null = null;
  /** Next write position in `target`. */
  private position = 0;
  private started = false;
  private done = false;
  private readonly moveBlock: number;

  constructor(private readonly opts: Mp4MuxerOptions) {
    super(opts.tracks, opts.sink);
    this.interleaver = new Interleaver(opts.tracks.map((t) => t.timescale), opts.chunkSeconds ?? 0.5);
    this.moveBlock = opts.moveBlockBytes ?? MOVE_BLOCK;
    if (!(Number.isInteger(this.moveBlock) && this.moveBlock > 0)) {
      throw new Mp4ForgeError('INVALID_OPTION', `moveBlockBytes must be a positive whole number of bytes, got ${this.moveBlock}`);
    }
  }

  async addSample(track: number, sample: MuxSample): Promise<void> {
    this.interleaver.push(track, sample);
    await this.writeChunks(this.interleaver.release());
  }

  async endTrack(track: number): Promise<void> {
    this.interleaver.end(track);
    await this.writeChunks(this.interleaver.release());
  }

  async finish(): Promise<{ bytes: number }> {
    await this.writeChunks(this.interleaver.release(true));
    await this.start();
    if (this.opts.layout === 'progressive') {
      await this.emit(serializeBoxes([this.buildMoov(0, this.position > 0xffffffff)]));
    } else if (this.spool) {
      await this.finishFromSpool(this.spool);
    } else {
      await this.finishInPlace(this.sink as Sink & Required<Pick<Sink, 'writeAt' | 'readAt'>>);
    }
    await this.sink.close();
    this.done = true;
    return { bytes: this.written };
  }

  async abort(reason: unknown): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.spool?.abort(reason, true).catch(() => {});
    await this.sink.abort(reason, true).catch(() => {});
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.opts.layout === 'progressive' || isSeekable(this.sink)) {
      this.target = this.sink;
      await this.emit(this.ftypBytes);
      this.position = this.ftypBytes.length;
    } else {
      if (!this.opts.openSpool) {
        throw new Mp4ForgeError('INVALID_OPTION', "layout 'faststart' needs a seekable output or a spool; use 'progressive' or 'fragmented' for streams here");
      }
      this.spool = await this.opts.openSpool();
      this.target = this.spool;
      this.position = 0;
    }
  }

  private async writeChunks(chunks: ReleasedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.start();
    for (const c of chunks) await this.writeChunk(c.track, c.samples);
  }

  private async writeChunk(track: number, samples: MuxSample[]): Promise<void> {
    let payload = 0;
    for (const s of samples) payload += s.data.length;
    const header = mdatHeader(payload);
    const table = this.tracks[track].table;
    table.addChunk(this.position + header.length, samples.length);
    // Written piece by piece: joining 0.5 s of samples into one buffer would double the bytes
    // allocated per frame, and that churn shows up as native-heap growth on long runs.
    await this.put(header);
    for (const s of samples) {
      table.addSample(s.data.length, s.duration, s.sync);
      await this.put(s.data);
    }
  }

  private async put(bytes: Uint8Array): Promise<void> {
    const target = this.target as Sink;
    if (target === this.sink) await this.emit(bytes);
    else await target.write(bytes);
    this.position += bytes.length;
  }

  private buildMoov(offsetShift: number, co64: boolean): ReturnType<typeof moov> {
    if (offsetShift !== 0) for (const t of this.tracks) t.table.shiftChunkOffsets(offsetShift);
    const traks = this.tracks.map((t, i) => {
      const { edit, movieDuration } = editAndDuration(t, this.movieTimescale, t.table.duration);
      return { box: trak({ trackId: i + 1, info: t.info, table: t.table, movieDuration, edit, fragmented: false, co64 }), movieDuration };
    });
    const duration = Math.max(0, ...traks.map((t) => t.movieDuration));
    if (offsetShift !== 0) for (const t of this.tracks) t.table.shiftChunkOffsets(-offsetShift);
    return moov({ timescale: this.movieTimescale, duration, traks: traks.map((t) => t.box) });
  }

  /**
   * Size of a moov placed in front of data ending at `dataEnd`, and whether its chunk offsets need
   * 64 bits once shifted by that size. Box sizes do not depend on the offset values.
   */
  private sizeMoov(dataEnd: number): { size: number; co64: boolean } {
    const small = serializeBoxes([this.buildMoov(0, false)]).length;
    if (dataEnd + small <= 0xffffffff) return { size: small, co64: false };
    return { size: serializeBoxes([this.buildMoov(0, true)]).length, co64: true };
  }

  private async finishInPlace(sink: Sink & Required<Pick<Sink, 'writeAt' | 'readAt'>>): Promise<void> {
    const dataStart = this.ftypBytes.length;
    const dataEnd = this.position;
    // First size the moov assuming offsets shift by its own size (sizes do not depend on values).
    const { size, co64 } = this.sizeMoov(dataEnd);
    const moovBytes = serializeBoxes([this.buildMoov(size, co64)]);
    if (moovBytes.length !== size) throw new Mp4ForgeError('INVALID_MP4', 'internal: moov size changed with offsets');
    // Move [dataStart, dataEnd) forward by `size`, from the end backwards so nothing is overwritten early.
    const block = new Uint8Array(Math.min(this.moveBlock, Math.max(1, dataEnd - dataStart)));
    let end = dataEnd;
    while (end > dataStart) {
      const start = Math.max(dataStart, end - block.length);
      const piece = block.subarray(0, end - start);
      const n = await sink.readAt(piece, start);
      if (n !== piece.length) throw sinkFailed(new Error(`short read while moving media data (${n} of ${piece.length} bytes at ${start})`));
      await sink.writeAt(piece, start + size);
      end = start;
    }
    await sink.writeAt(moovBytes, dataStart);
    this.written += moovBytes.length;
  }

  private async finishFromSpool(spool: Sink): Promise<void> {
    const dataEnd = this.position;
    await this.emit(this.ftypBytes);
    const base = this.ftypBytes.length;
    const { size, co64 } = this.sizeMoov(base + dataEnd);
    await this.emit(serializeBoxes([this.buildMoov(base + size, co64)]));
    const s = spool as Sink & Required<Pick<Sink, 'readAt'>>;
    const block = new Uint8Array(Math.min(this.moveBlock, Math.max(1, dataEnd)));
    for (let pos = 0; pos < dataEnd; ) {
      const piece = block.subarray(0, Math.min(block.length, dataEnd - pos));
      const n = await s.readAt(piece, pos);
      if (n !== piece.length) throw sinkFailed(new Error('short read from the faststart spool'));
      await this.emit(piece);
      pos += n;
    }
    await spool.abort(null, true);
    this.spool = null;
  }
}

