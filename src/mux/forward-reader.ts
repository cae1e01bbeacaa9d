// Forward-only byte input: what the segment reader needs, and all a network stream can give.
/** Forward-only bytes. */
export interface ForwardReader {
  /** The next `length` bytes; fewer only at the end of the input. */
  read(length: number): Promise<Uint8Array>;
  /** Stops reading and releases the input. Safe to call twice. */
  close(): Promise<void>;
}

/** A {@link ForwardReader} over any async sequence of byte chunks (file streams, fetch bodies, ...). */
export class ChunkReader implements ForwardReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  async read(length: number): Promise<Uint8Array> {
    while (this.buffered < length && !this.done) {
      const r = await this.source.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.buffered += r.value.length;
      }
    }
    const n = Math.min(length, this.buffered);
    if (this.chunks.length > 0 && this.chunks[0].length >= n) {
      const first = this.chunks[0];
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.buffered -= n;
    return out;
  }

  async close(): Promise<void> {
    this.done = true;
    this.chunks = [];
    await this.source.return?.().catch(() => undefined);
  }
}

/** A {@link ForwardReader} over bytes in memory (no copies). */
export function bytesReader(bytes: Uint8Array): ForwardReader {
  let pos = 0;
  return {
    read: async (length) => {
      const out = bytes.subarray(pos, Math.min(bytes.length, pos + length));
      pos += out.length;
      return out;
    },
    close: async () => {},
  };
}
