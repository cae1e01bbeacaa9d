/**
 * mp4forge: generated frames (+ MP3) → standard MP4, in pure TypeScript with a WASM H.264 encoder.
 * @packageDocumentation
 */
export { Mp4ForgeError, isMp4ForgeError } from './errors.js';
export type { Mp4ForgeErrorCode, Mp4ForgeErrorDetails } from './errors.js';
export { createMp4Writer } from './writer.js';
export type { Mp4Writer, Mp4WriterOptions, Mp4WriterResult, Progress, FrameInput, ImageDataLike } from './writer.js';
export type { FrameRate, VideoOptions } from './options.js';
export type { Mp4Output } from './output.js';
export type { Sink } from './mux/sink.js';
export type { Layout } from './mux/types.js';
export { toI420, bytesPerFrame } from './encode/convert.js';
export type { PixelFormat, RgbPixelFormat } from './encode/convert.js';
