// Serialisation of mp4box box objects, plus the payloads mp4box cannot write itself.
import { Box, DataStream, Endianness, BoxParser } from 'mp4box';

/** Writes boxes with mp4box's writers and returns the bytes. */
export function serializeBoxes(boxes: Box[]): Uint8Array {
  const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
  for (const b of boxes) b.write(stream);
  return new Uint8Array(stream.buffer, 0, stream.getPosition());
}

/** A box whose payload we build by hand (`esds`, `colr`, `pasp`, `btrt` have no writer in mp4box). */
export function rawBox(type: 'avcC' | 'colr' | 'pasp' | 'btrt' | 'esds', payload: Uint8Array): Box {
  const box = new BoxParser.box[type]();
  // Always the plain 8-byte header: for full boxes (esds) the payload carries version and flags.
  box.write = function (this: Box, stream: DataStream) {
    this.size = payload.length;
    Box.prototype.writeHeader.call(this, stream);
    stream.writeUint8Array(wholeBuffer(payload));
  };
  return box;
}

/** The 8- or 16-byte header of an mdat with `payloadSize` bytes of payload. */
export function mdatHeader(payloadSize: number): Uint8Array {
  const small = payloadSize + 8 <= 0xffffffff;
  const h = new Uint8Array(small ? 8 : 16);
  const dv = new DataView(h.buffer);
  if (small) dv.setUint32(0, payloadSize + 8);
  else {
    dv.setUint32(0, 1);
    dv.setBigUint64(8, BigInt(payloadSize + 16));
  }
  h.set([0x6d, 0x64, 0x61, 0x74], 4); // 'mdat'
  return h;
}

/** Already-serialised box bytes as a child for mp4box's container writers (e.g. a `uuid` in the moov). */
export function bytesBox(bytes: Uint8Array): Box {
  const box = new Box(bytes.length);
  box.write = function (this: Box, stream: DataStream) {
    this.size = bytes.length;
    stream.writeUint8Array(wholeBuffer(bytes));
  };
  return box;
}

/** mp4box's `writeUint8Array` copies from the start of `.buffer`, ignoring `byteOffset`: give it an array that owns its buffer. */
function wholeBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
