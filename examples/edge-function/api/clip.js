// A Vercel Edge Function (the same code serves as a Next.js route handler with
// `export const runtime = 'edge'`): GET /api/clip?seconds=2&pattern=plasma streams a fragmented MP4
// (H.264 + a generated melody) while it encodes. The edge runtime forbids compiling WebAssembly
// from bytes, so `mp4forge` resolves to its edge build (the `edge-light` export condition), which
// imports the encoder as `h264.wasm?module`: Vercel compiles that module when it deploys.
import { audio, createMp4Writer } from 'mp4forge';

export const config = { runtime: 'edge' };

const PATTERNS = ['plasma', 'bars', 'gradient', 'noise'];
const FPS = 24;

export default async function handler(request) {
  const url = new URL(request.url);
  const seconds = Number(url.searchParams.get('seconds') ?? 2);
  const pattern = url.searchParams.get('pattern') ?? 'plasma';
  if (!(seconds > 0 && seconds <= 10) || !PATTERNS.includes(pattern)) {
    return new Response(`seconds in (0, 10], pattern one of ${PATTERNS.join('|')}`, { status: 400 });
  }
  const { readable, writable } = new TransformStream();
  // Not awaited: the response starts now, and each GOP goes out as a fragment once it is encoded.
  void (async () => {
    const writer = await createMp4Writer({
      width: 320,
      height: 180,
      fps: FPS,
      video: { gop: FPS },
      audio: audio.melody({ seconds }),
      layout: 'fragmented',
      output: writable,
    });
    await writer.addFrames(Math.round(seconds * FPS), pattern);
    await writer.finish();
  })().catch((err) => writable.abort(err).catch(() => undefined));
  return new Response(readable, { headers: { 'content-type': 'video/mp4', 'cache-control': 'no-store' } });
}
