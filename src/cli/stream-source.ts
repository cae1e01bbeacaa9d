// A forward-only byte source over a stream (a pipe, stdin), for `mp4forge probe -`: it holds only
// the bytes from the start of the last read to what has been pulled, so skipping a large mdat
// costs no memory.
import type { RandomAccessSource } from '../probe/mp4-probe.js';

export class ForwardSource implements RandomAccessSource {
  readonly size = undefined;
  private readonly iterator: AsyncIterator<Uint8Array>;
  /** Held bytes, covering [start, end) of the stream. */
  private chunks: Uint8Array[] = [];
  private start = 0;
  private end = 0;
  private done = false;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    await this.advanceTo(position);
    while (this.end < position + length) {
      const c = await this.next();
      if (!c) break;
      this.chunks.push(c);
      this.end += c.length;
    }
    const out = new Uint8Array(Math.max(0, Math.min(length, this.end - position)));
    let o = 0;
    for (const c of this.chunks) {
      if (o === out.length) break;
      const n = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, n), o);
      o += n;
    }
    return out;
  }

  /** Everything from `position` on, as chunks: the bytes still held, then the rest of the stream. */
  async *chunksFrom(position: number): AsyncGenerator<Uint8Array> {
    await this.advanceTo(position);
    const held = this.chunks;
    this.chunks = [];
    this.start = this.end;
    yield* held;
    for (let c = await this.next(); c; c = await this.next()) {
      this.start = this.end += c.length;
      yield c;
    }
  }

  /** Drops everything before `position`, pulling (and dropping) stream bytes up to it if needed. */
  private async advanceTo(position: number): Promise<void> {
    if (position < this.start) throw new Error(`ForwardSource: position ${position} was already passed (at ${this.start})`);
    while (this.chunks.length > 0 && this.start + this.chunks[0].length <= position) {
      this.start += this.chunks[0].length;
      this.chunks.shift();
    }
    if (this.chunks.length > 0) {
      this.chunks[0] = this.chunks[0].subarray(position - this.start);
      this.start = position;
      return;
    }
    this.start = this.end;
    while (this.end < position) {
      const c = await this.next();
      if (!c) return;
      if (this.end + c.length > position) this.chunks.push(c.subarray(position - this.end));
      this.end += c.length;
      this.start = Math.min(this.end, position);
    }
  }

  private async next(): Promise<Uint8Array | null> {
    if (this.done) return null;
    const r = await this.iterator.next();
    if (r.done) {
      this.done = true;
      return null;
    }
    return r.value;
  }
}
