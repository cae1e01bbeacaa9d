// h264-mp4-encoder's web build, once the browser build wraps it as an ES module (tsup.config.ts).
declare module 'h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js' {
  const HME: { createH264MP4Encoder(): Promise<unknown> };
  export default HME;
}
