// Reading and rewriting a segment's record (the `uuid` box in its moov) by hand, from the format
// README describes, so tests can check what renderSegment wrote and feed stitchSegments records
// that disagree with their media.
import { SEGMENT_UUID } from '../../src/mux/segment-box.js';

/** Where the record box lies: the moov's offset and the uuid box's start and end. */
function locate(segment: Uint8Array): { moov: number; uuid: number; uuidEnd: number } {
  const dv = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const type = (o: number) => String.fromCharCode(...segment.subarray(o + 4, o + 8));
  let moov = 0;
  while (type(moov) !== 'moov') moov += dv.getUint32(moov);
  let uuid = moov + 8;
  while (!(type(uuid) === 'uuid' && SEGMENT_UUID.every((b, i) => segment[uuid + 8 + i] === b))) uuid += dv.getUint32(uuid);
  return { moov, uuid, uuidEnd: uuid + dv.getUint32(uuid) };
}

/** The record's version byte and its JSON text. */
export function readRecord(segment: Uint8Array): { version: number; json: string } {
  const { uuid, uuidEnd } = locate(segment);
  return { version: segment[uuid + 24], json: new TextDecoder().decode(segment.subarray(uuid + 25, uuidEnd)) };
}

/** A copy of `segment` whose record JSON is rewritten (and its version byte set), box sizes fixed up. */
export function rewriteRecord(segment: Uint8Array, edit: (json: string) => string, version?: number): Uint8Array {
  const { moov, uuid, uuidEnd } = locate(segment);
  const moovEnd = moov + new DataView(segment.buffer, segment.byteOffset, segment.byteLength).getUint32(moov);
  const json = new TextEncoder().encode(edit(new TextDecoder().decode(segment.subarray(uuid + 25, uuidEnd))));
  const box = new Uint8Array(25 + json.length);
  box.set(segment.subarray(uuid, uuid + 25));
  box.set(json, 25);
  new DataView(box.buffer).setUint32(0, box.length);
  if (version !== undefined) box[24] = version;
  const out = new Uint8Array(segment.length - (uuidEnd - uuid) + box.length);
  out.set(segment.subarray(0, uuid));
  out.set(box, uuid);
  out.set(segment.subarray(uuidEnd), uuid + box.length);
  new DataView(out.buffer).setUint32(moov, moovEnd - moov - (uuidEnd - uuid) + box.length);
  return out;
}
