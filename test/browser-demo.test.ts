// The demo page (examples/web) and the README's browser/worker snippets, built with Vite from the
// library's browser entry and driven in Debian's Chromium: what a person would do, checked with
// what the browser itself reports and with ffprobe/ffmpeg on the bytes it made.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, requireBrowser, serveDir, type PlaybackReport } from './helpers/browser.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';
import { decodeRgbFrames, ffmpegDecodeCheck, ffprobe, ffprobePackets, rgbPsnr } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { buildWebExamples, fromBase64, rgbaToRgb, ROOT } from './helpers/web-build.js';
import { drawPattern } from '../src/generate/patterns.js';
import { audio, encodePcmToMp3, parseMp3 } from '../src/index.js';

const ARTIFACTS = join(ROOT, 'test-output');

/** Frame 30 (t = 1 s) drawn back from the <video> must match the regenerated plasma frame at least this well (RGB PSNR, dB). */
const DEMO_FRAME_PSNR_DB = 30;
/** The snippets' canvas frames (text, hard edges) decoded by ffmpeg vs drawn again: RGB PSNR floor, dB. */
const SNIPPET_PSNR_DB = 28;

/** What the demo page reports after playing its result (the shared report, without the error field). */
type PlayReport = Omit<PlaybackReport, 'error'>;

async function setRange(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (el, v) => {
      const input = el as HTMLInputElement;
      input.value = v;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

/** The <label> around a (visually hidden) radio input. */
const radioLabel = (name: string, value: string) => `label:has(> input[name="${name}"][value="${value}"])`;

async function waitForRender(page: Page): Promise<void> {
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 90_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'done') throw new Error(`the demo reported an error: ${await page.textContent('#error')}`);
}

async function downloadedBytes(page: Page): Promise<Uint8Array> {
  const b64 = await page.evaluate(async () => {
    const href = (document.getElementById('download') as HTMLAnchorElement).href;
    const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return fromBase64(b64);
}

describe.runIf(chromiumAvailable || requireBrowser)('examples/web in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDir>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [dir, b] = await Promise.all([buildWebExamples(), launchChromium()]);
    browser = b;
    server = await serveDir(dir);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
    await page.goto(`${server.url}${path}`);
    return page;
  }

  it('demo: renders 2 s of 640×360 plasma with the melody in a worker; it plays to the end with every frame and audio; frame 30 matches the pattern', async () => {
    const page = await open('/index.html');
    await page.click(radioLabel('pattern', 'plasma'));
    await page.selectOption('#resolution', '640x360');
    await page.click(radioLabel('fps', '30'));
    await setRange(page, '#duration', '2');
    await page.click(radioLabel('sound', 'melody'));
    // Record what the progress line shows while the worker renders.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      const el = document.getElementById('p-frames') as HTMLElement;
      new MutationObserver(() => seen.push(`${el.textContent} | ${document.getElementById('p-fps')?.textContent}`)).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('#render');
    await waitForRender(page);

    const progressSeen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    // The bar moved through intermediate frames with a live fps, then reached the end.
    expect(progressSeen.some((s) => /^Frame ([1-9]|[1-5]\d) of 60 \| \d+(\.\d)? fps$/.test(s))).toBe(true);
    expect(progressSeen.at(-1)).toMatch(/^Frame 60 of 60/);

    const shown = await page.evaluate(() => {
      const result = document.getElementById('result') as HTMLElement;
      return { frames: result.dataset.frames, encoder: result.dataset.encoder, facts: document.getElementById('facts')?.textContent ?? '' };
    });
    expect(shown.frames).toBe('60');
    expect(shown.facts).toContain('640×360');
    expect(shown.facts).toContain('60 frames');
    expect(shown.facts).toMatch(/MP3 mp4a\.6b/i);
    console.info(`[mp4forge] demo rendered with the ${shown.encoder} encoder`);

    // Play to the end in the page's own <video>.
    const report = await page.evaluate(async (): Promise<PlayReport> => {
      const v = document.getElementById('result-video') as HTMLVideoElement & { webkitAudioDecodedByteCount?: number };
      if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
      const ended = new Promise((r) => v.addEventListener('ended', r, { once: true }));
      await v.play();
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the video did not end within 20 s')), 20_000))]);
      const q = v.getVideoPlaybackQuality();
      return {
        ended: v.ended,
        duration: v.duration,
        currentTime: v.currentTime,
        totalVideoFrames: q.totalVideoFrames,
        droppedVideoFrames: q.droppedVideoFrames,
        audioDecodedBytes: v.webkitAudioDecodedByteCount ?? -1,
        videoWidth: v.videoWidth,
        videoHeight: v.videoHeight,
      };
    });
    expect(report.ended).toBe(true);
    expect(report.videoWidth).toBe(640);
    expect(report.videoHeight).toBe(360);
    expect(report.duration).toBeCloseTo(2, 2);
    expect(report.currentTime).toBeGreaterThanOrEqual(2 - 0.05);
    expect(report.totalVideoFrames).toBe(60);
    expect(report.audioDecodedBytes).toBeGreaterThan(0);

    // Frame 30 starts at t = 1 s; seek to its middle and draw it back to a canvas.
    const drawn = await page.evaluate(async () => {
      const v = document.getElementById('result-video') as HTMLVideoElement;
      v.pause();
      const seeked = new Promise((r) => v.addEventListener('seeked', r, { once: true }));
      v.currentTime = 1 + 0.5 / 30;
      await seeked;
      const c = document.createElement('canvas');
      c.width = 640;
      c.height = 360;
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(v, 0, 0);
      const bytes = new Uint8Array(ctx.getImageData(0, 0, 640, 360).data.buffer);
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    });
    const shownRgb = rgbaToRgb(fromBase64(drawn));
    const source = (i: number) => {
      const rgba = new Uint8Array(640 * 360 * 4);
      drawPattern('plasma', rgba, 640, 360, i);
      return rgba;
    };
    const psnr = [29, 30, 31].map((i) => rgbPsnr(source(i), 4, shownRgb));
    console.info(`[mp4forge] demo frame at t = 1 s vs plasma frames 29/30/31: ${psnr.map((p) => p.toFixed(2)).join(' / ')} dB`);
    expect(psnr[1]).toBeGreaterThanOrEqual(DEMO_FRAME_PSNR_DB);
    // …and it is frame 30, not a neighbour.
    expect(psnr[1]).toBeGreaterThan(psnr[0]);
    expect(psnr[1]).toBeGreaterThan(psnr[2]);

    // The file the download link offers, checked by ffprobe and ffmpeg.
    const mp4 = await downloadedBytes(page);
    const file = tmpFile('demo.mp4');
    writeFileSync(file, mp4);
    assertValidIsoBmff(mp4);
    const probe = await ffprobe(file, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    expect(v?.codec_name).toBe('h264');
    expect(v?.nb_read_frames).toBe('60');
    expect(a?.codec_name).toBe('mp3');
    expect(Number(probe.format.duration)).toBeCloseTo(2, 1);
    expect((await ffmpegDecodeCheck(file)).ok).toBe(true);

    // The finished page, as a person sees it, paused at t = 1 s.
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('demo: a dropped-in MP3 is muxed as is (no re-encoding) and plays', async () => {
    const parts: Uint8Array[] = [];
    for await (const chunk of encodePcmToMp3(audio.chord({ seconds: 3, frequencies: [330, 440], sampleRate: 48000, channels: 1 }), { kbps: 96 }))
      parts.push(chunk);
    const mp3 = new Uint8Array(Buffer.concat(parts));
    const page = await open('/index.html?pattern=bars&seconds=1&fps=25&encoder=wasm');
    await page.click(radioLabel('sound', 'mp3'));
    await page.setInputFiles('#mp3', { name: 'chord.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from(mp3) });
    await page.waitForFunction(() => /48\.0 kHz mono/.test(document.getElementById('drop-info')?.textContent ?? ''));
    await page.click('#render');
    await waitForRender(page);
    expect(await page.evaluate(() => document.getElementById('result')!.dataset.encoder)).toBe('wasm');
    const bytes = await downloadedBytes(page);
    const file = tmpFile('demo-mp3.mp4');
    writeFileSync(file, bytes);
    const probe = await ffprobe(file, { count: true });
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    expect(probe.streams.find((s) => s.codec_type === 'video')?.nb_read_frames).toBe('25');
    expect(a?.codec_name).toBe('mp3');
    expect(a?.sample_rate).toBe('48000');
    expect(a?.channels).toBe(1);
    // Muxed as is: MP3 frames from the first second are in the file byte for byte, and 1 s of
    // video keeps about 1 s of them (24 ms each).
    const packets = await ffprobePackets(file, 'a:0');
    expect(packets.length).toBeGreaterThanOrEqual(40);
    expect(packets.length).toBeLessThanOrEqual(46);
    const frames = parseMp3(mp3).frames;
    for (const k of [3, 10, 30]) {
      const f = frames[k];
      expect(Buffer.from(bytes).includes(Buffer.from(mp3.subarray(f.offset, f.offset + f.size)))).toBe(true);
    }
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('demo: Cancel stops a long render promptly and the page is ready again', async () => {
    const page = await open('/index.html?pattern=noise&res=1280x720&seconds=30&fps=30&sound=none&encoder=wasm');
    await page.click('#render');
    await page.waitForFunction(() => /^Frame [1-9]\d* of 900$/.test(document.getElementById('p-frames')?.textContent ?? ''));
    await page.click('#cancel');
    await page.waitForSelector('body[data-state="idle"]', { timeout: 15_000 });
    // The worker read the message and its writer aborted (ABORTED), rather than being terminated
    // by the page's fallback.
    expect(await page.evaluate(() => document.body.dataset.cancelled)).toBe('aborted');
    expect(await page.textContent('#error')).toContain('Cancelled');
    expect(await page.isEnabled('#render')).toBe(true);
    expect(await page.isVisible('#result')).toBe(false);
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  describe('served with a strict Content-Security-Policy header', () => {
    const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";
    let strict: Awaited<ReturnType<typeof serveDir>>;

    beforeAll(async () => {
      strict = await serveDir(await buildWebExamples(), { 'Content-Security-Policy': CSP });
    });
    afterAll(async () => {
      await strict?.close();
    });

    it('renders with 0 and 2 workers, plays each result to the end (served by its service worker, not a blob: URL), same bytes, no CSP violation', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (e) => pageErrors.push(`csp: ${e.message}`));
      // Violations are DOM events on the document: listen before any script runs.
      await page.addInitScript(() => {
        const w = window as unknown as { cspViolations: string[] };
        w.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
      });
      const files: Uint8Array[] = [];
      for (const workers of ['0', '2']) {
        await page.goto(`${strict.url}/index.html?pattern=bars&res=640x360&fps=30&seconds=2&sound=melody&encoder=wasm&workers=${workers}`);
        expect(await page.inputValue('#workers')).toBe(workers);
        await page.click('#render');
        await waitForRender(page);
        expect(await page.textContent('#facts')).toContain(workers === '0' ? 'WASM (mp4forge)Render' : 'WASM (mp4forge), 2 workers');
        const played = await page.evaluate(async () => {
          const v = document.getElementById('result-video') as HTMLVideoElement;
          if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
          const ended = new Promise((r) => v.addEventListener('ended', r, { once: true }));
          await v.play();
          await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the video did not end within 20 s')), 20_000))]);
          return { src: v.currentSrc, ended: v.ended, frames: v.getVideoPlaybackQuality().totalVideoFrames };
        });
        expect(played.src).toMatch(new RegExp(`^${strict.url}/play/mp4forge-bars-640x360-30fps\\.mp4$`));
        expect(played).toMatchObject({ ended: true, frames: 60 });
        files.push(await downloadedBytes(page));
      }
      const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
      await page.close();
      expect(violations).toEqual([]);
      expect(Buffer.compare(files[0], files[1])).toBe(0);
      const file = tmpFile('demo-csp.mp4');
      writeFileSync(file, files[1]);
      expect((await ffprobe(file, { count: true })).streams.find((s) => s.codec_type === 'video')?.nb_read_frames).toBe('60');
      expect((await ffmpegDecodeCheck(file)).ok).toBe(true);
      expect(pageErrors).toEqual([]);
    });
  });

  describe('README snippets', () => {
    let page: Page;
    let webcodecs: { present: boolean; supported: boolean };

    beforeAll(async () => {
      page = await open('/snippets/index.html');
      await page.waitForFunction(() => 'snippets' in window);
      webcodecs = await page.evaluate(() =>
        (window as unknown as { snippets: { webCodecsH264(w: number, h: number): Promise<{ present: boolean; supported: boolean }> } }).snippets.webCodecsH264(
          320,
          180,
        ),
      );
      console.info(
        `[mp4forge] Chromium WebCodecs: VideoEncoder ${webcodecs.present ? 'present' : 'absent'}, H.264 (avc1.42E01E, avc format) ${webcodecs.supported ? 'supported' : 'NOT supported'}`,
      );
    });
    afterAll(async () => {
      await page?.close();
    });

    async function check(mp4: Uint8Array, name: string, frames: number, sources: string[], indices: number[], gop: number): Promise<number[]> {
      const file = tmpFile(name);
      writeFileSync(file, mp4);
      assertValidIsoBmff(mp4);
      const probe = await ffprobe(file, { count: true });
      const v = probe.streams.find((s) => s.codec_type === 'video');
      expect(v?.codec_name).toBe('h264');
      expect(v?.width).toBe(320);
      expect(v?.height).toBe(180);
      expect(v?.nb_read_frames).toBe(String(frames));
      expect((await ffmpegDecodeCheck(file)).ok).toBe(true);
      // Keyframes exactly at the GOP boundaries.
      const keys = (await ffprobePackets(file)).flatMap((p, i) => (p.flags.includes('K') ? [i] : []));
      expect(keys).toEqual(Array.from({ length: Math.ceil(frames / gop) }, (_, k) => k * gop));
      const decoded = await decodeRgbFrames(file, 320, 180);
      return indices.map((frame, k) => rgbPsnr(fromBase64(sources[k]), 4, decoded[frame]));
    }

    it('browser snippet: ImageData from a 2D canvas on the page → MP4 in memory', async () => {
      const indices = [0, 17, 44];
      const r = await page.evaluate(
        (idx) => (window as unknown as { snippets: { page(n: number, i: number[]): Promise<{ mp4: string; sources: string[] }> } }).snippets.page(45, idx),
        indices,
      );
      const psnr = await check(fromBase64(r.mp4), 'snippet-page.mp4', 45, r.sources, indices, 60);
      console.info(`[mp4forge] page snippet PSNR frames ${indices.join('/')}: ${psnr.map((p) => p.toFixed(2)).join(' / ')} dB`);
      for (const p of psnr) expect(p).toBeGreaterThanOrEqual(SNIPPET_PSNR_DB);
    });

    it('WebCodecs on the main thread: kbps is the encoder\'s bitrate (bits per second, not kbit)', async () => {
      if (!webcodecs.supported) {
        console.warn('[mp4forge] WebCodecs H.264 unavailable in this Chromium: kbps test not applicable');
        return;
      }
      const r = await page.evaluate(() =>
        (
          window as unknown as { snippets: { encode(v: object, n: number): Promise<{ result: { videoEncoder: string; frames: number }; mp4: string }> } }
        ).snippets.encode({ encoder: 'webcodecs', kbps: 400 }, 60),
      );
      expect(r.result.videoEncoder).toBe('webcodecs');
      const file = tmpFile('webcodecs-400k.mp4');
      writeFileSync(file, fromBase64(r.mp4));
      const bytes = (await ffprobePackets(file)).reduce((n, p) => n + Number(p.size), 0);
      const kbps = (bytes * 8) / 2 / 1000;
      console.info(`[mp4forge] WebCodecs at kbps 400: ${kbps.toFixed(0)} kbit/s written`);
      // Rate control is the browser's; a unit mistake (kbit vs bit) would miss by 1000×.
      expect(kbps).toBeGreaterThan(200);
      expect(kbps).toBeLessThan(800);
    });

    it.each(['wasm', 'webcodecs', 'auto'] as const)('worker snippet: OffscreenCanvas ImageData → MP4 streamed to an OPFS file, encoder %s', async (encoder) => {
      const indices = [0, 29, 30, 59];
      const r = await page.evaluate(
        ([enc, idx]) =>
          (
            window as unknown as {
              snippets: {
                worker(
                  job: object,
                  i: number[],
                ): Promise<{ error?: string; mp4?: string; sources?: string[]; result?: { frames: number; videoEncoder: string; bytes: number } }>;
              };
            }
          ).snippets.worker({ width: 320, height: 180, frames: 60, encoder: enc }, idx),
        [encoder, indices] as const,
      );
      if (encoder === 'webcodecs' && !webcodecs.supported) {
        // Asked for explicitly where it cannot work: a clear error, not a silent fallback.
        expect(r.error).toMatch(/UNSUPPORTED_RUNTIME|not available/);
        return;
      }
      expect(r.error).toBeUndefined();
      const expected = encoder === 'wasm' || !webcodecs.supported ? 'wasm' : 'webcodecs';
      expect(r.result?.videoEncoder).toBe(expected);
      expect(r.result?.frames).toBe(60);
      const mp4 = fromBase64(r.mp4 as string);
      expect(r.result?.bytes).toBe(mp4.length);
      const psnr = await check(mp4, `snippet-worker-${encoder}.mp4`, 60, r.sources as string[], indices, 30);
      console.info(
        `[mp4forge] worker snippet (${encoder} → ${expected}) ${mp4.length} bytes, PSNR frames ${indices.join('/')}: ${psnr.map((p) => p.toFixed(2)).join(' / ')} dB`,
      );
      for (const p of psnr) expect(p).toBeGreaterThanOrEqual(SNIPPET_PSNR_DB);
    });
  });
});
