// Direct access to h264-mp4-encoder for the peer measurements. Its Node build registers
// process-wide `uncaughtException` (rethrow) and `unhandledRejection` (abort the WASM runtime)
// listeners when imported; they are removed again, as mp4forge does, so a failed promise in the
// bench reports an error instead of silently killing the encoder.
let loading;

export function loadHme() {
  loading ??= (async () => {
    const before = {
      uncaught: new Set(process.listeners('uncaughtException')),
      rejection: new Set(process.listeners('unhandledRejection')),
    };
    try {
      const mod = await import('h264-mp4-encoder');
      return typeof mod.createH264MP4Encoder === 'function' ? mod : mod.default;
    } finally {
      for (const l of process.listeners('uncaughtException')) if (!before.uncaught.has(l)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.rejection.has(l)) process.removeListener('unhandledRejection', l);
    }
  })();
  return loading;
}

/** Sets the options mp4forge maps onto the encoder (constant qp; see src/encode/h264-encoder.ts). */
export function configure(encoder, { width, height, fps, qp, speed, gop }) {
  encoder.width = width;
  encoder.height = height;
  encoder.frameRate = fps;
  encoder.quantizationParameter = qp;
  encoder.speed = speed;
  encoder.groupOfPictures = gop;
  encoder.kbps = 0;
  encoder.temporalDenoise = false;
}
