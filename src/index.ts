/**
 * mp4forge: generated frames (+ MP3) → standard MP4, in pure TypeScript with a WASM H.264 encoder.
 * @packageDocumentation
 */
export { Mp4ForgeError, isMp4ForgeError } from './errors.js';
export type { Mp4ForgeErrorCode, Mp4ForgeErrorDetails, Mp4ForgeWarning, Mp4ForgeWarningCode } from './errors.js';

// Writing MP4
export { createMp4Writer } from './writer.js';
export type { Mp4Writer, Mp4WriterOptions, Mp4WriterResult, FrameInput, ImageDataLike } from './writer.js';
export type { OutputResult, AudioSummary, Progress } from './results.js';
export { renderVideo } from './render.js';
export type { RenderVideoOptions } from './render.js';
export { createWorkerPool } from './pool/worker-pool.js';
export type { WorkerPool, WorkerPoolOptions } from './pool/worker-pool.js';
export type { FrameRate, VideoOptions } from './options.js';
export type { EncoderChoice, EncoderId } from './encode/backend.js';
export type { Mp4Output, BufferOutput, NodeWritableLike } from './output.js';
export type { AudioInput, AudioLength, AudioEncodeOptions } from './soundtrack.js';
export type { Sink } from './mux/sink.js';
export type { Layout } from './mux/types.js';

// Segments: render apart, stitch without re-encoding
export { renderSegment, stitchSegments } from './segments.js';
export type { RenderSegmentOptions, SegmentResult, SegmentInput, StitchOptions, StitchResult, SegmentInfo, SegmentEncoderParams } from './segments.js';
export { segmentRange } from './segment-range.js';
export type { FrameRange } from './segment-range.js';

// Frames
export { toI420, bytesPerFrame } from './encode/convert.js';
export { readRawFrames } from './raw-frames.js';
export type { RawFramesInput, RawFramesRead, ReadRawFramesOptions } from './raw-frames.js';
export type { PixelFormat, RgbPixelFormat } from './encode/convert.js';
export { patterns, drawPattern } from './generate/patterns.js';
export type { PatternName, FrameCallback } from './generate/patterns.js';
export { readBarsCounter } from './generate/bars.js';
export { loadScene, isPatternScene } from './generate/scene.js';
export type { SceneDraw, SceneSpec } from './generate/scene.js';

// Audio
export { audio } from './generate/audio.js';
export type { ToneOptions, ChordOptions, NoiseBurstOptions, ClicksOptions, MelodyOptions, AudioCommonOptions } from './generate/audio.js';
export type { PcmPullSource, PcmBufferSource, PcmSource } from './audio/pcm-source.js';
export { PcmToMp3Encoder, encodePcmToMp3, LAMEJS_ENCODER_DELAY, MP3_DECODER_DELAY } from './audio/mp3-encoder.js';
export type { Mp3EncodeOptions, Mp3EncodeSummary } from './audio/mp3-encoder.js';
export { Mp3FrameParser, parseMp3, parseMp3Stream, describeMp3 } from './audio/mp3-parser.js';
export type { Mp3Format, Mp3Frame, Mp3FrameInfo, Mp3Gapless, Mp3ParseResult, Mp3ParserStats, Mp3InfoFrame, Mp3LameTag } from './audio/mp3-parser.js';

// Reading MP4
export { probeMp4, looksLikeMp4, bytesSource } from './probe/mp4-probe.js';
export { describeMp4 } from './probe/mp4-describe.js';
export type { Mp4ProbeResult, Mp4ProbeTrack, Mp4ProbeEdit, Mp4ProbeBox, Mp4ProbeLayout, RandomAccessSource } from './probe/mp4-probe.js';
