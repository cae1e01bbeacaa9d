// The picture both snippets draw: a pure function of the frame index, so a test can draw any
// frame again and compare it with what came out of the decoder.
type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export function drawFrame(ctx: Ctx2D, i: number, width: number, height: number): void {
  const sky = ctx.createLinearGradient(0, 0, 0, height);
  sky.addColorStop(0, `hsl(${(200 + i * 2) % 360}, 70%, 55%)`);
  sky.addColorStop(1, `hsl(${(260 + i * 2) % 360}, 60%, 25%)`);
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  // A ball bouncing across, one pass per 60 frames.
  const t = (i % 60) / 60;
  const r = height / 8;
  const x = r + t * (width - 2 * r);
  const y = height - r - Math.abs(Math.sin(t * Math.PI * 2)) * (height - 3 * r);
  ctx.fillStyle = '#ffd24a';
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = 'white';
  ctx.font = `bold ${Math.round(height / 6)}px sans-serif`;
  ctx.fillText(`#${i}`, width / 20, height / 5);
}
