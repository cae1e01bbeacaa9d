// Debian's Chromium driven by playwright-core: the real-browser oracle for playback.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
/** In CI the browser tests must run; locally they skip with a notice when Chromium is absent. */
export const requireBrowser = process.env.CI === 'true';

if (!chromiumAvailable) {
  const outcome = requireBrowser ? 'FAIL (CI=true requires them)' : 'are SKIPPED';
  const msg = `Chromium not found at ${CHROMIUM_PATH}: browser tests ${outcome} — install it with 'apt-get install -y chromium'`;
  console.warn(`\n[mp4forge] ${msg}\n`);
}

/**
 * Starts Chromium with a temporary and runtime directory of its own, removed when the browser
 * disconnects: its audio client (libpulse) makes a `pulse-*` directory there when no
 * XDG_RUNTIME_DIR is set, and the run's temporary directory must end empty (tmp-guard).
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'chromium-'));
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-quic', '--no-first-run', '--autoplay-policy=no-user-gesture-required',
      ],
      env: { ...process.env, TMPDIR: dir, XDG_RUNTIME_DIR: dir },
    });
    browser.on('disconnected', () => rmSync(dir, { recursive: true, force: true }));
    return browser;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.mp4': 'video/mp4',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Serves a directory on 127.0.0.1 with Range support (media elements seek with it), adding `headers` to every answer. */
export async function serveDir(dir: string, headers: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(path);
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const range = /bytes=(\d*)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      const start = range[1] ? Number(range[1]) : 0;
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        ...headers,
        'Content-Type': type,
        'Content-Range': `bytes ${start}-${end}/${body.length}`,
        'Accept-Ranges': 'bytes',
        'Content-Length': end - start + 1,
      });
      res.end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export interface PlaybackReport {
  ended: boolean;
  error: string | null;
  duration: number;
  currentTime: number;
  totalVideoFrames: number;
  droppedVideoFrames: number;
  audioDecodedBytes: number;
  videoWidth: number;
  videoHeight: number;
}

/** Plays `src` to the end in a <video> element and reports what the browser saw. */
export const PLAYBACK_PAGE = `<!doctype html><html><body><video id="v" playsinline></video><script>
window.play = (src) => new Promise((resolve) => {
  const v = document.getElementById('v');
  const report = (error) => {
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: -1, droppedVideoFrames: -1 };
    resolve({ ended: v.ended, error, duration: v.duration, currentTime: v.currentTime, totalVideoFrames: q.totalVideoFrames,
      droppedVideoFrames: q.droppedVideoFrames, audioDecodedBytes: v.webkitAudioDecodedByteCount ?? -1, videoWidth: v.videoWidth, videoHeight: v.videoHeight });
  };
  v.onended = () => report(null);
  v.onerror = () => report('media error ' + (v.error && v.error.code) + ': ' + (v.error && v.error.message));
  setTimeout(() => report('timeout'), 60000);
  v.src = src;
  v.play().catch((e) => report('play() rejected: ' + e));
});
</script></body></html>`;
