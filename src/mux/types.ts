// What the muxer accepts. Defined here (not imported from encode/audio) so data flows one way:
// the writer adapts encoder and audio output to these shapes.

/** Colour description written as a `colr` (nclx) box; ISO/IEC 23091-2 code points. */
export interface ColourInfo {
  primaries: number;
  transfer: number;
  matrix: number;
  fullRange: boolean;
}

export interface VideoTrackInfo {
  kind: 'video';
  /** AVCDecoderConfigurationRecord payload (the `avcC` box body). */
  avcC: Uint8Array;
  width: number;
  height: number;
  /** Media timescale (ticks per second). */
  timescale: number;
  colour: ColourInfo;
  /** Average and maximum bitrate for `btrt`, bits per second; filled in at the end when known. */
  name?: string;
}

export interface AudioTrackInfo {
  kind: 'audio';
  codec: 'mp3';
  sampleRate: number;
  channels: number;
  /** 0x6B for MPEG-1 audio, 0x69 for MPEG-2/2.5 (ISO/IEC 14496-1 objectTypeIndication). */
  objectTypeIndication: 0x6b | 0x69;
  /** Media timescale; the sample rate. */
  timescale: number;
  name?: string;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

/** One access unit as it goes into the file. */
export interface MuxSample {
  data: Uint8Array;
  /** Duration in the track's timescale. */
  duration: number;
  /** Random access point (IDR for video; every MP3 frame). */
  sync: boolean;
}

/**
 * Presentation window of a track, in its own timescale: skip `mediaTime` ticks at the start
 * (encoder/decoder delay) and play `duration` ticks (undefined = to the end of the media).
 */
export interface TrackEdit {
  mediaTime: number;
  duration?: number;
}

export type Layout = 'faststart' | 'progressive' | 'fragmented';
