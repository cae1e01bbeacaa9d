// Which H.264 encoders the built library has, found through its public API only, so that one
// bench script measures every stage of the own-encoder work without edits:
//
// - `video.encoder: 'h264-mp4-encoder'` names the old backend. A library from before that id
//   refuses it with INVALID_OPTION; there `'wasm'` *is* h264-mp4-encoder, and the bench measures
//   it under `'wasm'` (and says so).
// - `video.encoder: 'wasm'` is mp4forge's own encoder once it has one. Until then it is an alias
//   of h264-mp4-encoder: the result's `videoEncoder` names that backend, or (older builds) the two
//   requests give byte-identical files. Either way the own encoder is reported unavailable, never
//   measured under its name.

const PROBE = { width: 64, height: 48, fps: 30, frames: 6, qp: 26 };

/**
 * The `output` value that returns the file in memory: `{ buffer: true }` (mp4forge > 0.1), or the
 * string 'buffer' of mp4forge 0.1 (each version refuses the other's with INVALID_OPTION).
 */
export async function memoryOutput(lib) {
  for (const output of [{ buffer: true }, 'buffer']) {
    try {
      const w = await lib.createMp4Writer({ width: PROBE.width, height: PROBE.height, fps: PROBE.fps, output });
      await w.abort();
      return output;
    } catch (e) {
      if (!(e && e.code === 'INVALID_OPTION')) throw e;
    }
  }
  throw new Error("the built library accepts neither output: { buffer: true } nor output: 'buffer'");
}

async function probe(lib, encoder, output) {
  const frame = new Uint8Array(PROBE.width * PROBE.height * 4);
  try {
    const w = await lib.createMp4Writer({ width: PROBE.width, height: PROBE.height, fps: PROBE.fps, output, video: { encoder, qp: PROBE.qp } });
    for (let i = 0; i < PROBE.frames; i++) {
      lib.drawPattern('plasma', frame, PROBE.width, PROBE.height, i);
      await w.addFrame(frame);
    }
    const r = await w.finish();
    return { ok: true, videoEncoder: r.videoEncoder, data: r.data };
  } catch (e) {
    if (e && (e.code === 'INVALID_OPTION' || e.code === 'UNSUPPORTED_RUNTIME')) return { ok: false, code: e.code, message: String(e.message) };
    throw e;
  }
}

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Resolves with `{ own, hme, memoryOutput }` (memoryOutput: see {@link memoryOutput}):
 * - `hme`: `{ request, videoEncoder, label, note }` — the `video.encoder` value that selects
 *   h264-mp4-encoder in this build ('h264-mp4-encoder', or 'wasm' in builds without that id);
 * - `own`: `{ available, request: 'wasm', videoEncoder, reason }`.
 * `forceOwn` (bench development only) measures `'wasm'` as the own encoder even when it is
 * h264-mp4-encoder; `own.forced` is then true and every label says so.
 */
export async function detectEncoders(lib, { forceOwn = false } = {}) {
  const output = await memoryOutput(lib);
  const named = await probe(lib, 'h264-mp4-encoder', output);
  const wasm = await probe(lib, 'wasm', output);
  if (!wasm.ok) throw new Error(`the built library refuses video.encoder 'wasm': ${wasm.message}`);
  let hme;
  let reason = null;
  if (named.ok) {
    hme = { request: 'h264-mp4-encoder', videoEncoder: named.videoEncoder, label: "h264-mp4-encoder (video.encoder 'h264-mp4-encoder')", note: null };
    if (wasm.videoEncoder === named.videoEncoder) reason = `video.encoder 'wasm' runs the '${named.videoEncoder}' backend in this build`;
    else if (same(wasm.data, named.data))
      reason = `video.encoder 'wasm' (videoEncoder '${wasm.videoEncoder}') writes the same bytes as 'h264-mp4-encoder' in this build`;
  } else {
    hme = {
      request: 'wasm',
      videoEncoder: wasm.videoEncoder,
      label: "h264-mp4-encoder (as video.encoder 'wasm')",
      note: `this build refuses video.encoder 'h264-mp4-encoder' (${named.code}), so its 'wasm' is h264-mp4-encoder: measured under 'wasm'`,
    };
    reason = `this build has no encoder of its own: it refuses 'h264-mp4-encoder' (${named.code}), so 'wasm' is h264-mp4-encoder`;
  }
  const available = reason === null;
  const own = { available: available || forceOwn, forced: !available && forceOwn, request: 'wasm', videoEncoder: wasm.videoEncoder, reason };
  return { own, hme, memoryOutput: output };
}
