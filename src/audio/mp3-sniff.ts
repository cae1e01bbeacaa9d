// Names what a non-MP3 input looks like, from its first bytes, so the INVALID_MP3 error can say
// "this is a PNG image" instead of only "no MPEG audio found".

/** Bytes of the input's start that `identifyNonMp3` wants to see. */
export const SNIFF_BYTES = 36;

function ascii(b: Uint8Array, p: number, s: string): boolean {
  if (p + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Identifies well-known container/image formats that can never be a bare MPEG audio stream.
 * Returns a phrase like "a WAV (RIFF) file" or null. `head` is the start of the input.
 */
export function identifyContainer(head: Uint8Array): string | null {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) {
    // WAVE_FORMAT_MPEGLAYER3 (0x55) / WAVE_FORMAT_MPEG (0x50) in a canonical fmt chunk.
    const tag = ascii(head, 12, 'fmt ') && head.length >= 22 ? head[20] | (head[21] << 8) : -1;
    if (tag === 0x55 || tag === 0x50) return 'a WAV (RIFF) file carrying MPEG audio; extract the bare MP3 stream first';
    return 'a WAV (RIFF) file';
  }
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return 'an AVI (RIFF) file';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'a WebP image';
  if (ascii(head, 0, 'RIFF')) return 'a RIFF file';
  if (head.length >= 8 && head[0] === 0x89 && ascii(head, 1, 'PNG\r\n\x1a\n')) return 'a PNG image';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'a JPEG image';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'a GIF image';
  if (ascii(head, 0, 'fLaC')) return 'a FLAC file';
  if (ascii(head, 0, 'OggS')) return 'an Ogg file';
  if (ascii(head, 4, 'ftyp')) return 'an MP4/QuickTime (ISO-BMFF) file';
  if (ascii(head, 0, 'FORM') && (ascii(head, 8, 'AIFF') || ascii(head, 8, 'AIFC'))) return 'an AIFF file';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'a Matroska/WebM file';
  if (ascii(head, 0, '%PDF-')) return 'a PDF document';
  if (ascii(head, 0, 'PK\x03\x04')) return 'a ZIP archive';
  if (ascii(head, 0, 'MThd')) return 'a MIDI file';
  if (ascii(head, 0, '#!AMR')) return 'an AMR file';
  if (ascii(head, 0, 'wvpk')) return 'a WavPack file';
  if (ascii(head, 0, 'MAC ')) return "a Monkey's Audio file";
  return null;
}

/**
 * Best guess at what an input without MPEG audio is, for error messages: a container name, ADTS
 * AAC, text, or null. `totalBytes` is the whole input length.
 */
export function describeNonMp3(head: Uint8Array, totalBytes: number): string | null {
  if (totalBytes === 0) return 'an empty input (0 bytes)';
  const c = identifyContainer(head);
  if (c) return c;
  // ADTS: 12-bit sync like MPEG audio but layer bits 00.
  if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xf6) === 0xf0) return 'an AAC (ADTS) stream';
  let text = head.length > 0;
  for (const b of head) {
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) { text = false; break; }
  }
  if (text) return 'text';
  return null;
}
