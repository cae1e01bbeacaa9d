// The demo page: settings, a live preview of the pattern, and the render worker's progress and
// result. No framework: a handful of elements looked up once and updated in place.
import { drawPattern, parseMp3, type EncoderChoice, type Mp4ProbeResult, type Mp4ProbeTrack, type PatternName } from 'mp4forge';
import type { FromWorker, RenderDone, RenderRequest } from './protocol.js';

const PATTERNS: Array<{ name: PatternName; label: string }> = [
  { name: 'plasma', label: 'Plasma' },
  { name: 'gradient', label: 'Gradient' },
  { name: 'bars', label: 'Bars & counter' },
  { name: 'noise', label: 'Noise' },
  { name: 'solid', label: 'Black' },
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('settings');
const preview = $<HTMLCanvasElement>('preview');
const video = $<HTMLVideoElement>('result-video');
const badge = $('stage-badge');
const progress = $('progress');
const bar = $('bar');
const barFill = $('bar-fill');
const errorBox = $('error');
const result = $('result');
const placeholder = $('placeholder');
const renderButton = $<HTMLButtonElement>('render');
const cancelButton = $<HTMLButtonElement>('cancel');
const duration = $<HTMLInputElement>('duration');
const durationOut = $<HTMLOutputElement>('duration-out');
const drop = $<HTMLLabelElement>('drop');

type State = 'idle' | 'rendering' | 'done' | 'error';
const setState = (s: State) => {
  document.body.dataset.state = s;
};

// ---------------------------------------------------------------------------------- settings

const radio = (name: string) => form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? '';

function settings(): Omit<RenderRequest, 'sound'> & { sound: string } {
  const [width, height] = ($<HTMLSelectElement>('resolution').value.split('x').map(Number)) as [number, number];
  return {
    type: 'render',
    pattern: radio('pattern') as PatternName,
    width,
    height,
    fps: Number(radio('fps')),
    seconds: Number(duration.value),
    qp: Number($<HTMLSelectElement>('quality').value),
    encoder: radio('encoder') as EncoderChoice,
    workers: workersValue($<HTMLSelectElement>('workers').value),
    sound: radio('sound'),
  };
}

function workersValue(v: string): number | 'auto' {
  return v === 'auto' ? 'auto' : Number(v);
}

function buildPatternTiles(): void {
  const box = $('patterns');
  const tw = 96;
  const th = 54;
  const rgba = new Uint8ClampedArray(tw * th * 4);
  for (const [k, p] of PATTERNS.entries()) {
    const label = document.createElement('label');
    label.className = 'pattern';
    const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'pattern', value: p.name, checked: k === 0 });
    const thumb = Object.assign(document.createElement('canvas'), { width: tw, height: th });
    drawPattern(p.name, rgba, tw, th, 24);
    thumb.getContext('2d')!.putImageData(new ImageData(rgba, tw, th), 0, 0);
    const name = Object.assign(document.createElement('span'), { textContent: p.label });
    label.append(input, thumb, name);
    box.append(label);
  }
}

/** Settings from the query string (?pattern=bars&res=1280x720&fps=60&seconds=10&sound=none&encoder=wasm&quality=20&workers=2). */
function applyQuery(): void {
  const q = new URLSearchParams(location.search);
  const check = (name: string, value: string | null) => {
    const el = value && form.querySelector<HTMLInputElement>(`input[name="${name}"][value="${CSS.escape(value)}"]`);
    if (el) el.checked = true;
  };
  check('pattern', q.get('pattern'));
  check('fps', q.get('fps'));
  check('sound', q.get('sound'));
  check('encoder', q.get('encoder'));
  const res = q.get('res');
  if (res && [...$<HTMLSelectElement>('resolution').options].some((o) => o.value === res)) $<HTMLSelectElement>('resolution').value = res;
  const quality = q.get('quality');
  if (quality && [...$<HTMLSelectElement>('quality').options].some((o) => o.value === quality)) $<HTMLSelectElement>('quality').value = quality;
  const workers = q.get('workers');
  if (workers && [...$<HTMLSelectElement>('workers').options].some((o) => o.value === workers)) $<HTMLSelectElement>('workers').value = workers;
  const secs = Number(q.get('seconds'));
  if (Number.isInteger(secs) && secs >= 1 && secs <= 30) duration.value = String(secs);
}

// ---------------------------------------------------------------------------------- preview

let previewFrame = 0;
let previewTimer = 0;
const previewPixels = new Uint8ClampedArray(preview.width * preview.height * 4);

function startPreview(): void {
  stopPreview();
  preview.hidden = false;
  video.hidden = true;
  badge.textContent = 'Preview';
  badge.hidden = false;
  const ctx = preview.getContext('2d')!;
  const tick = () => {
    const s = settings();
    drawPattern(s.pattern, previewPixels, preview.width, preview.height, previewFrame++ % Math.max(1, s.seconds * s.fps));
    ctx.putImageData(new ImageData(previewPixels, preview.width, preview.height), 0, 0);
    previewTimer = window.setTimeout(tick, 1000 / s.fps);
  };
  tick();
}

function stopPreview(): void {
  clearTimeout(previewTimer);
  previewTimer = 0;
}

// ---------------------------------------------------------------------------------- sound

let mp3: { bytes: ArrayBuffer; name: string } | null = null;

function updateSound(): void {
  const kind = radio('sound');
  drop.hidden = kind !== 'mp3';
  $('loop-row').hidden = kind !== 'mp3';
  $('melody-hint').hidden = kind !== 'melody';
}

async function takeMp3(file: File): Promise<void> {
  const info = $('drop-info');
  const text = $('drop-text');
  drop.classList.remove('bad');
  try {
    const bytes = await file.arrayBuffer();
    const parsed = parseMp3(new Uint8Array(bytes));
    const f = parsed.format;
    mp3 = { bytes, name: file.name };
    text.innerHTML = '';
    text.append(Object.assign(document.createElement('strong'), { textContent: file.name }));
    info.textContent = `${formatTime(parsed.playableDurationSeconds)} · ${(f.sampleRate / 1000).toFixed(1)} kHz ${f.channels === 1 ? 'mono' : 'stereo'} · muxed as is`;
  } catch (err) {
    mp3 = null;
    drop.classList.add('bad');
    text.innerHTML = '<strong>That file is not an MP3 mp4forge can use</strong>';
    info.textContent = err instanceof Error ? err.message : String(err);
  }
}

// ---------------------------------------------------------------------------------- encoder support

async function detectEncoder(): Promise<void> {
  const hint = $('encoder-hint');
  const webcodecs = form.querySelector<HTMLInputElement>('input[name="encoder"][value="webcodecs"]')!;
  let ok = false;
  if (typeof VideoEncoder === 'function') {
    try {
      ok =
        (await VideoEncoder.isConfigSupported({ codec: 'avc1.42E01F', width: 1280, height: 720, bitrate: 2_000_000, framerate: 30, avc: { format: 'avc' } }))
          .supported === true;
    } catch {
      ok = false;
    }
  }
  if (ok) {
    hint.textContent = 'This browser encodes H.264 with WebCodecs, so Auto uses it. WASM gives the same bytes in every browser and in Node.';
  } else {
    hint.textContent = 'This browser cannot encode H.264 with WebCodecs; Auto uses the WASM encoder.';
    webcodecs.disabled = true;
    webcodecs.dataset.unsupported = 'true';
    if (webcodecs.checked) form.querySelector<HTMLInputElement>('input[name="encoder"][value="auto"]')!.checked = true;
  }
}

// ---------------------------------------------------------------------------------- rendering

let worker: Worker | null = null;
let cancelTimer = 0;
let objectUrl: string | null = null;

// ---------------------------------------------------------------------------------- playback

// The result plays from a same-origin URL that public/play-sw.js serves out of Cache Storage: a page
// whose Content-Security-Policy allows media only from 'self' (no blob:) can play and download it.
// Without a service worker (an insecure origin, a private window), a blob: URL it is.
const PLAY_CACHE = 'mp4forge-demo';
const player: Promise<boolean> = startPlayer();

async function startPlayer(): Promise<boolean> {
  if (!('serviceWorker' in navigator) || typeof caches === 'undefined') return false;
  try {
    await navigator.serviceWorker.register(new URL('./play-sw.js', location.href), { scope: './' });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
    return true;
  } catch {
    return false;
  }
}

/** A URL the <video> element and the download link can use for `data`. */
async function playableUrl(data: Uint8Array, name: string): Promise<string> {
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = null;
  const blob = new Blob([data as BlobPart], { type: 'video/mp4' });
  if (await player) {
    const cache = await caches.open(PLAY_CACHE);
    for (const old of await cache.keys()) await cache.delete(old);
    const url = new URL(`./play/${name}`, location.href).href;
    await cache.put(url, new Response(blob, { headers: { 'content-type': 'video/mp4' } }));
    return url;
  }
  objectUrl = URL.createObjectURL(blob);
  return objectUrl;
}

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./render-worker.ts', import.meta.url), { type: 'module', name: 'mp4forge-render' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
    worker.onerror = (e) => showError('WORKER_FAILED', e.message || 'The render worker failed to start');
  }
  return worker;
}

function startRender(): void {
  const s = settings();
  let sound: RenderRequest['sound'];
  if (s.sound === 'melody') sound = { kind: 'melody' };
  else if (s.sound === 'mp3') {
    if (!mp3) {
      showError('INVALID_OPTION', 'Choose an MP3 first, or pick Melody or Silent.');
      return;
    }
    sound = { kind: 'mp3', bytes: mp3.bytes.slice(0), loop: $<HTMLInputElement>('loop').checked };
  } else sound = { kind: 'none' };
  const req: RenderRequest = { ...s, sound };
  stopPreview();
  setBusy(true);
  errorBox.hidden = true;
  result.hidden = true;
  placeholder.hidden = true;
  progress.hidden = false;
  preview.hidden = false;
  video.hidden = true;
  video.removeAttribute('src');
  badge.textContent = 'Rendering…';
  updateProgress(0, Math.round(s.seconds * s.fps), 0, 0);
  setState('rendering');
  delete document.body.dataset.cancelled;
  getWorker().postMessage(req, sound.kind === 'mp3' ? [sound.bytes] : []);
}

function setBusy(busy: boolean): void {
  renderButton.disabled = busy;
  renderButton.textContent = busy ? 'Rendering…' : 'Render MP4';
  cancelButton.hidden = !busy;
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select'))
    el.disabled = busy || (el.value === 'webcodecs' && el.dataset.unsupported === 'true');
}

function updateProgress(frames: number, total: number, fps: number, bytes: number): void {
  const pct = total > 0 ? (100 * frames) / total : 0;
  barFill.style.width = `${pct.toFixed(1)}%`;
  bar.setAttribute('aria-valuenow', pct.toFixed(0));
  $('p-frames').textContent = `Frame ${frames} of ${total}`;
  $('p-fps').textContent = fps > 0 ? `${fps.toFixed(1)} fps` : '';
  $('p-size').textContent = bytes > 0 ? formatBytes(bytes) : '';
  $('p-eta').textContent = fps > 0 && frames < total ? `${formatTime((total - frames) / fps)} left` : '';
  // Show what is being rendered: the same frame, drawn small.
  if (frames > 0) {
    const s = settings();
    drawPattern(s.pattern, previewPixels, preview.width, preview.height, frames - 1);
    preview.getContext('2d')!.putImageData(new ImageData(previewPixels, preview.width, preview.height), 0, 0);
  }
}

function onWorkerMessage(msg: FromWorker): void {
  if (msg.type === 'progress') updateProgress(msg.frames, msg.total, msg.fps, msg.bytes);
  else if (msg.type === 'done') void showResult(msg);
  else {
    if (msg.code === 'ABORTED') document.body.dataset.cancelled = 'aborted';
    showError(msg.code, msg.message);
  }
}

async function showResult(done: RenderDone): Promise<void> {
  clearTimeout(cancelTimer);
  const s = settings();
  const name = `mp4forge-${s.pattern}-${s.width}x${s.height}-${s.fps}fps.mp4`;
  const url = await playableUrl(done.data, name);
  setBusy(false);
  progress.hidden = true;
  preview.hidden = true;
  badge.hidden = true;
  video.hidden = false;
  video.src = url;
  const link = $<HTMLAnchorElement>('download');
  link.href = url;
  link.download = name;
  const label = PATTERNS.find((p) => p.name === s.pattern)?.label ?? s.pattern;
  $('result-sub').textContent = `${label}, ${s.width}×${s.height} — ready to play and download.`;
  renderFacts(done);
  result.dataset.frames = String(done.frames);
  result.dataset.encoder = done.encoder;
  result.hidden = false;
  setState('done');
}

function renderFacts(done: RenderDone): void {
  const p: Mp4ProbeResult = done.probe;
  const v = p.tracks.find((t) => t.type === 'video');
  const a = p.tracks.find((t) => t.type === 'audio');
  const facts: Array<[string, string]> = [
    ['File', `${formatBytes(p.size)} · ${p.layout === 'faststart' ? 'fast start' : p.layout}`],
    ['Duration', `${p.durationSeconds.toFixed(2)} s`],
    ['Video', v ? videoFact(v) : 'none'],
    ['Audio', a ? audioFact(a) : 'none'],
    ['Encoder', ENCODER_LABELS[done.encoder] + workersFact(done.workers)],
    ['Render time', `${done.elapsedSeconds.toFixed(1)} s · ${(done.frames / done.elapsedSeconds).toFixed(1)} frames/s`],
  ];
  const dl = $('facts');
  dl.replaceChildren();
  for (const [k, val] of facts) {
    const item = document.createElement('div');
    item.append(Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: val }));
    dl.append(item);
  }
}

function workersFact(workers: number | 'auto'): string {
  return workers === 0 ? '' : `, ${workers === 'auto' ? navigator.hardwareConcurrency : workers} workers`;
}

const ENCODER_LABELS: Record<RenderDone['encoder'], string> = {
  wasm: 'WASM (mp4forge)',
  webcodecs: 'WebCodecs (this browser)',
  'h264-mp4-encoder': 'WASM (h264-mp4-encoder)',
};

function videoFact(t: Mp4ProbeTrack): string {
  const fps = t.frameRate ? `${Number.isInteger(t.frameRate.fps) ? t.frameRate.fps : t.frameRate.fps.toFixed(3)} fps` : '';
  return [`H.264 ${t.codec}`, `${t.width}×${t.height}`, fps, `${t.samples} frames (${t.keyframes} key)`, formatRate(t.bitrate)].filter(Boolean).join(' · ');
}

function audioFact(t: Mp4ProbeTrack): string {
  return [`MP3 ${t.codec}`, `${((t.sampleRate ?? 0) / 1000).toFixed(1)} kHz ${t.channels === 1 ? 'mono' : 'stereo'}`, formatRate(t.bitrate)].join(' · ');
}

function showError(code: string, message: string): void {
  clearTimeout(cancelTimer);
  setBusy(false);
  progress.hidden = true;
  errorBox.replaceChildren(
    Object.assign(document.createElement('strong'), { textContent: code === 'ABORTED' ? 'Cancelled' : 'Could not render' }),
    Object.assign(document.createElement('span'), { textContent: code === 'ABORTED' ? 'Nothing was kept.' : `${message} (${code})` }),
  );
  errorBox.hidden = false;
  placeholder.hidden = true;
  setState(code === 'ABORTED' ? 'idle' : 'error');
  startPreview();
}

function cancel(): void {
  worker?.postMessage({ type: 'cancel' });
  // A worker stuck inside the encoder cannot read the message; end it after a grace period.
  cancelTimer = window.setTimeout(() => {
    worker?.terminate();
    worker = null;
    document.body.dataset.cancelled = 'terminated';
    showError('ABORTED', '');
  }, 5000);
}

// ---------------------------------------------------------------------------------- formatting

function formatBytes(n: number): string {
  return n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(2)} MB`;
}

function formatRate(bps: number): string {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

function formatTime(s: number): string {
  const whole = Math.ceil(s);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------- wiring

buildPatternTiles();
applyQuery();
durationOut.value = `${duration.value} s`;
updateSound();
startPreview();
void detectEncoder();

duration.addEventListener('input', () => {
  durationOut.value = `${duration.value} s`;
});
form.addEventListener('change', (e) => {
  const t = e.target as HTMLInputElement;
  if (t.name === 'sound') updateSound();
  if (t.id === 'mp3' && t.files?.[0]) void takeMp3(t.files[0]);
  if (document.body.dataset.state !== 'rendering' && (t.name === 'pattern' || t.name === 'fps')) {
    previewFrame = 0;
    if (document.body.dataset.state !== 'done') startPreview();
  }
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  startRender();
});
cancelButton.addEventListener('click', cancel);
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = (e).dataTransfer?.files[0];
  if (file) void takeMp3(file);
});
