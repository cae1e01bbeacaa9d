// A small hand-written SVG chart: horizontal bars of ratios on a log scale around 1×, no dependency.
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * bars: [{ group, label, value }] where value is a ratio (> 1 drawn to the right, in green;
 * < 1 to the left, in red). Groups get a heading row.
 */
export function renderSvg(title, bars) {
  const rowH = 20;
  const labelW = 330;
  const plotW = 420;
  const valueW = 70;
  const width = labelW + plotW + valueW + 20;
  const finite = bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0);
  const extent = Math.max(2, ...finite.map((v) => Math.max(v, 1 / v)));
  const decades = Math.ceil(Math.log10(extent) * 2) / 2; // half decades either side of 1×
  const x = (v) => labelW + plotW / 2 + (Math.log10(v) / decades) * (plotW / 2);
  const rows = [];
  let y = 50;
  let group = null;
  for (const b of bars) {
    if (b.group !== group) {
      group = b.group;
      y += 6;
      rows.push(`<text x="8" y="${y + 14}" font-weight="bold">${esc(group)}</text>`);
      y += rowH;
    }
    const ok = Number.isFinite(b.value) && b.value > 0;
    const v = ok ? Math.min(Math.max(b.value, 10 ** -decades), 10 ** decades) : 1;
    const [a, c] = [x(1), x(v)].sort((p, q) => p - q);
    rows.push(`<text x="16" y="${y + 14}">${esc(b.label)}</text>`);
    if (ok)
      rows.push(
        `<rect x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(1, c - a).toFixed(1)}" height="${rowH - 6}" fill="${b.value >= 1 ? '#3a9d5d' : '#c8553d'}"/>`,
      );
    rows.push(`<text x="${labelW + plotW + 8}" y="${y + 14}">${ok ? `${b.value.toFixed(b.value < 10 ? 2 : 1)}×` : 'n/a'}</text>`);
    y += rowH;
  }
  const ticks = [];
  for (let k = -Math.floor(decades * 2); k <= Math.floor(decades * 2); k++) {
    const v = 10 ** (k / 2);
    const label = v >= 1 ? `${Math.round(v * 10) / 10}×` : `${Math.round(v * 100) / 100}×`;
    ticks.push(`<line x1="${x(v).toFixed(1)}" y1="44" x2="${x(v).toFixed(1)}" y2="${y}" stroke="${k === 0 ? '#333' : '#ddd'}"/>`);
    ticks.push(`<text x="${x(v).toFixed(1)}" y="40" text-anchor="middle" fill="#666">${label}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 30}" viewBox="0 0 ${width} ${y + 30}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`, `<text x="8" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`, ...ticks, ...rows,
    `<text x="8" y="${y + 20}" fill="#666">Ratio mp4forge : peer, log scale. Right of 1× (green) mp4forge is ahead, left (red) behind.</text>`,
    '</svg>', '',
  ].join('\n');
}
