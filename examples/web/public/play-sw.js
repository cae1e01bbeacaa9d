// The demo's service worker: it serves the rendered MP4s from the page's Cache Storage at
// same-origin URLs (./play/<name>.mp4), with byte ranges for seeking. A page whose
// Content-Security-Policy allows media only from 'self' cannot play a blob: URL; this can.
/* global caches */
const CACHE = 'mp4forge-demo';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !/\/play\/[\w.-]+\.mp4$/.test(url.pathname)) return;
  event.respondWith(serve(event.request));
});

async function serve(request) {
  const cached = await (await caches.open(CACHE)).match(request.url);
  if (!cached) return new Response('not rendered yet', { status: 404 });
  const blob = await cached.blob();
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get('range') ?? '');
  const headers = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
  if (!range) return new Response(blob, { headers: { ...headers, 'content-length': String(blob.size) } });
  const start = range[1] ? Number(range[1]) : Math.max(0, blob.size - Number(range[2]));
  const end = range[1] && range[2] ? Math.min(Number(range[2]), blob.size - 1) : blob.size - 1;
  if (start > end) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${blob.size}` } });
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: { ...headers, 'content-range': `bytes ${start}-${end}/${blob.size}`, 'content-length': String(end - start + 1) },
  });
}
