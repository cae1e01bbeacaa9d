// A Cloudflare Worker that renders a short clip and streams it back while it encodes:
//   GET  /clip.mp4?seconds=2&pattern=plasma&size=320x180      a pattern with a generated melody
//   POST /clip.mp4?seconds=2 (body: an MP3)                    the same, with the uploaded MP3 muxed as is
//   ?layout=faststart                                          the whole file from memory, moov first (small clips)
// The default layout is fragmented: ftyp+moov go out at once and each GOP as a moof+mdat as soon as
// it is encoded, so the first bytes leave before the last frame is drawn. `mp4forge` resolves to
// its workerd build (the `workerd` export condition), which imports the H.264 encoder as a
// precompiled .wasm module: workerd refuses to compile WebAssembly from bytes.
import { audio, createMp4Writer, isMp4ForgeError } from 'mp4forge';

const PATTERNS = ['plasma', 'bars', 'gradient', 'noise'];
const SIZES = { '320x180': [320, 180], '640x360': [640, 360], '1280x720': [1280, 720] };
const FPS = 24;
// See the README's measured limits: CPU time per request is what bounds a clip, not memory.
const MAX_SECONDS = 10;
const MAX_UPLOAD = 10 * 1024 * 1024;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const seconds = Number(url.searchParams.get('seconds') ?? 2);
    const pattern = url.searchParams.get('pattern') ?? 'plasma';
    const size = SIZES[url.searchParams.get('size') ?? '320x180'];
    const layout = url.searchParams.get('layout') ?? 'fragmented';
    if (!(seconds > 0 && seconds <= MAX_SECONDS) || !PATTERNS.includes(pattern) || !size || !['fragmented', 'faststart'].includes(layout)) {
      const sizes = Object.keys(SIZES).join('|');
      return text(400, `seconds in (0, ${MAX_SECONDS}], pattern one of ${PATTERNS.join('|')}, size one of ${sizes}, layout fragmented|faststart`);
    }
    if (request.method !== 'GET' && request.method !== 'POST') return text(405, 'GET, or POST an MP3');
    let soundtrack = audio.melody({ seconds });
    if (request.method === 'POST') {
      const mp3 = new Uint8Array(await request.arrayBuffer());
      if (mp3.length === 0 || mp3.length > MAX_UPLOAD) return text(400, `POST an MP3 of at most ${MAX_UPLOAD} bytes`);
      soundtrack = mp3;
    }
    const [width, height] = size;
    const frames = Math.round(seconds * FPS);
    const options = { width, height, fps: FPS, audio: soundtrack, video: { gop: FPS } };
    const headers = { 'content-type': 'video/mp4', 'cache-control': 'no-store' };

    if (layout === 'faststart') {
      // Small clips: encode into memory, then answer with the finished file (moov first).
      try {
        const writer = await createMp4Writer({ ...options, layout: 'faststart', output: { buffer: true } });
        await writer.addFrames(frames, pattern);
        const { data } = await writer.finish();
        return new Response(data, { headers });
      } catch (err) {
        return failure(err);
      }
    }

    // Fragmented: the response starts now and the writer streams into it. Nothing is awaited before
    // returning, because a write to the stream waits until the client reads.
    const { readable, writable } = new TransformStream();
    const render = (async () => {
      const writer = await createMp4Writer({ ...options, layout: 'fragmented', output: writable });
      await writer.addFrames(frames, pattern);
      await writer.finish();
    })().catch(async (err) => {
      console.error(isMp4ForgeError(err) ? `${err.code}: ${err.message}` : err);
      await writable.abort(err).catch(() => undefined); // the client sees a broken body, not a short file
    });
    ctx.waitUntil(render);
    return new Response(readable, { headers });
  },
};

function failure(err) {
  if (isMp4ForgeError(err)) return text(err.code === 'INVALID_MP3' ? 400 : 500, `${err.code}: ${err.message}`);
  throw err;
}

function text(status, message) {
  return new Response(message, { status, headers: { 'content-type': 'text/plain' } });
}
