// The one ISO-BMFF box reader: box headers (for readers that walk a file or stream box by box:
// the probe and the segment reader) and child boxes within bytes already read (the probe, the
// segment reader, and h264-mp4-encoder's output tap). Pure functions over Uint8Array.

/** A box header: its type, total size (header included) and header length (8, or 16 with a 64-bit size). */
export interface BoxHeader {
  type: string;
  size: number;
  headerSize: number;
}

/** A malformed box header; `reason` completes "box … at offset N …" in the caller's own error. */
export class BoxHeaderError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BoxHeaderError';
  }
}

/** True when the 8-byte header at `o` announces a 64-bit size (8 more bytes to read). */
export function hasLargeSize(head: Uint8Array, o = 0): boolean {
  return u32(head, o) === 1;
}

/**
 * Parses the header at `o` in `head` (8 bytes, or 16 when {@link hasLargeSize}). `toEnd` is the
 * number of bytes from `o` to the end of the file, when known: a size of 0 ("to the end") needs
 * it. Throws {@link BoxHeaderError} for anything that is not a box header.
 */
export function parseBoxHeader(head: Uint8Array, offset: number, o = 0, toEnd?: number): BoxHeader {
  if (head.length - o < 8) throw new BoxHeaderError(`${head.length - o} stray bytes at offset ${offset}, too few for a box header (8 bytes)`);
  const type = fourcc(head, o + 4);
  if (!/^[\x20-\x7e]{4}$/.test(type)) {
    const hex = [...head.subarray(o + 4, o + 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new BoxHeaderError(`no box at offset ${offset}${offset === 0 ? ' (this is not an MP4)' : ''}: the type bytes ${hex} are not a four-character code`);
  }
  let size = u32(head, o);
  let headerSize = 8;
  if (size === 1) {
    if (head.length - o < 16) throw new BoxHeaderError(`box '${type}' at offset ${offset} is cut off inside its 64-bit size`);
    size = u32(head, o + 8) * 2 ** 32 + u32(head, o + 12);
    headerSize = 16;
  } else if (size === 0) {
    if (toEnd === undefined)
      throw new BoxHeaderError(`box '${type}' at offset ${offset} has size 0 (it extends to the end of the input, which is not known here)`);
    size = toEnd;
  }
  if (size < headerSize) throw new BoxHeaderError(`box '${type}' at offset ${offset} declares size ${size}, smaller than its header`);
  return { type, size, headerSize };
}

/** A child box within bytes already read: its type and payload range (after the header). */
export interface ChildBox {
  type: string;
  /** Offset of the box itself. */
  offset: number;
  /** Payload start and end (a uuid's usertype and a full box's version/flags stay in the payload). */
  start: number;
  end: number;
}

/** The boxes laid end to end in b[start, end); stops quietly at the first malformed one. */
export function* childBoxes(b: Uint8Array, start: number, end: number): Generator<ChildBox> {
  let p = start;
  while (p + 8 <= end) {
    let size = u32(b, p);
    let header = 8;
    if (size === 1 && p + 16 <= end) {
      size = u32(b, p + 8) * 2 ** 32 + u32(b, p + 12);
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) return;
    yield { type: fourcc(b, p + 4), offset: p, start: p + header, end: p + size };
    p += size;
  }
}

/**
 * Fixed fields before the child boxes of container-like boxes that are not plain containers:
 * stsd (version/flags, entry count) and the sample entries mp4forge reads into.
 */
const LEADING_FIELDS: Record<string, number> = { stsd: 8, avc1: 78, avc3: 78, mp4a: 28 };

/**
 * The payload of the box at `path` (e.g. ['moov', 'trak', 'mdia', 'mdhd']) below b[start, end),
 * or null. Each step takes the first box of that type.
 */
export function findBox(b: Uint8Array, path: readonly string[], start = 0, end = b.length): Uint8Array | null {
  let from = start;
  let to = end;
  for (let depth = 0; depth < path.length; depth++) {
    let found: ChildBox | undefined;
    for (const c of childBoxes(b, from, to)) {
      if (c.type === path[depth]) {
        found = c;
        break;
      }
    }
    if (!found) return null;
    // Descending into a box skips its leading fields; the box at the end of the path is returned whole.
    from = depth < path.length - 1 ? found.start + (LEADING_FIELDS[found.type] ?? 0) : found.start;
    to = found.end;
  }
  return b.subarray(from, to);
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
}
