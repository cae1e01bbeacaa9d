// Chromium plays our files to the end, every frame presented.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, PLAYBACK_PAGE, requireBrowser, serveDir, type PlaybackReport } from './helpers/browser.js';
import { renderClip, tmpFile, workDir } from './helpers/render.js';
import { audio } from '../src/index.js';

describe.runIf(chromiumAvailable || requireBrowser)('Chromium playback', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDir>>;

  beforeAll(async () => {
    browser = await launchChromium();
    writeFileSync(tmpFile('play.html'), PLAYBACK_PAGE);
    server = await serveDir(workDir);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(['faststart', 'progressive', 'fragmented'] as const)('plays a %s file to the end with every frame', async (layout) => {
    const frames = 60;
    const { result } = await renderClip({ width: 320, height: 240, fps: 30, layout, video: { gop: 30 } }, frames, 'bars');
    writeFileSync(tmpFile(`play-${layout}.mp4`), result.data as Uint8Array);
    const page = await browser.newPage();
    await page.goto(`${server.url}/play.html`);
    const report = await page.evaluate<PlaybackReport>(`window.play('/play-${layout}.mp4')`);
    await page.close();
    expect(report.error).toBeNull();
    expect(report.ended).toBe(true);
    expect(report.videoWidth).toBe(320);
    expect(report.duration).toBeCloseTo(2, 2);
    expect(report.currentTime).toBeCloseTo(2, 2);
    expect(report.totalVideoFrames).toBe(frames);
  });

  it.each(['faststart', 'fragmented'] as const)('plays H.264 + MP3 (%s) with audio decoded and currentTime reaching the end', async (layout) => {
    const frames = 60;
    const { result } = await renderClip(
      { width: 320, height: 240, fps: 30, layout, video: { gop: 30 }, audio: audio.melody({ seconds: 5 }), audioLength: 'trim' },
      frames,
      'plasma',
    );
    writeFileSync(tmpFile(`play-av-${layout}.mp4`), result.data as Uint8Array);
    const page = await browser.newPage();
    await page.goto(`${server.url}/play.html`);
    const report = await page.evaluate<PlaybackReport>(`window.play('/play-av-${layout}.mp4')`);
    await page.close();
    expect(report.error).toBeNull();
    expect(report.ended).toBe(true);
    expect(report.audioDecodedBytes).toBeGreaterThan(0);
    expect(report.currentTime).toBeGreaterThanOrEqual(2 - 0.05);
    expect(report.totalVideoFrames).toBe(frames);
  });
});
