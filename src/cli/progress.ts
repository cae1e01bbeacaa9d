// The progress line on stderr: drawn only for a terminal, redrawn at most every 100 ms (a redraw
// per frame would cost more than small frames take to encode), erased before anything else is
// printed.
import type { Progress } from '../results.js';

/** The part of a TTY write stream the bar uses. */
export interface ProgressOutput {
  write(text: string): unknown;
  /** Terminal width; 80 when unknown or 0 (a pty without a size). */
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[K';

export class ProgressBar {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    /** Frames expected in all, when known (render, or --input from a regular file). */
    private readonly total: number | undefined,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = 100,
  ) {}

  /** Redraws when the interval has passed, and always for the last frame of a known total. */
  update(p: Progress): void {
    const t = this.now();
    const last = this.total !== undefined && p.frames >= this.total;
    if (!last && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.out.write(CLEAR_LINE + formatProgress(p, this.total, this.out.columns || 80));
    this.drawn = true;
  }

  /** Erases the line, if one was drawn. */
  clear(): void {
    if (!this.drawn) return;
    this.out.write(CLEAR_LINE);
    this.drawn = false;
  }
}

/**
 * One progress line fitting in `columns - 1` characters (a full-width line would wrap on some
 * terminals): `[#####·····]  120/300  40%  85.3 fps  1.20 MB  ETA 0:02`, or without a total
 * `120 frames  4.00 s  85.3 fps  1.20 MB`.
 */
export function formatProgress(p: Progress, total: number | undefined, columns: number): string {
  const fps = `${p.fps.toFixed(1)} fps`;
  const mb = `${(p.bytes / 1e6).toFixed(2)} MB`;
  const room = Math.max(20, columns - 1);
  if (total === undefined || total <= 0) {
    return fit([`${p.frames} frame${p.frames === 1 ? "" : "s"}`, `${p.durationSeconds.toFixed(2)} s`, fps, mb], room);
  }
  const ratio = Math.min(1, p.frames / total);
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  const eta = p.fps > 0 ? `ETA ${clock((total - p.frames) / p.fps)}` : 'ETA --:--';
  const count = `${String(p.frames).padStart(String(total).length)}/${total}`;
  const text = fit([count, pct, fps, mb, eta], room);
  const barWidth = Math.min(40, room - text.length - 4);
  if (barWidth < 10) return text;
  const filled = Math.round(ratio * barWidth);
  return `[${'#'.repeat(filled)}${'·'.repeat(barWidth - filled)}]  ${text}`;
}

/** Joins fields with two spaces, dropping trailing fields that do not fit. */
function fit(fields: string[], room: number): string {
  let line = '';
  for (const f of fields) {
    const next = line ? `${line}  ${f}` : f;
    if (next.length > room) break;
    line = next;
  }
  return line;
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}
