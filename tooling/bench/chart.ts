import { existsSync, writeFileSync } from 'node:fs';
import { fmtTarget, fmtValue, type TargetResult } from './report';

/**
 * The benchmark's results as a PNG bar chart, drawn without a browser: an SVG written here,
 * rendered by resvg (@resvg/resvg-js, a prebuilt binary from the npm registry). Each target has
 * its own row and scale: the bar is the measured figure, the dark line the target, green when
 * met, red when missed. Text needs a system font: DejaVu Sans (Debian: fonts-dejavu-core).
 */

const WIDTH = 1000;
const ROW = 46;
const LABEL_W = 340;
const BAR_W = 420;
const TOP = 86;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(title: string, subtitle: string, rows: TargetResult[]): string {
  const height = TOP + rows.length * ROW + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      'font-family="DejaVu Sans, Liberation Sans, sans-serif">',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="24" y="36" font-size="22" font-weight="bold" fill="#111827">${esc(title)}</text>`,
    `<text x="24" y="62" font-size="13" fill="#4b5563">${esc(subtitle)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    // Each row has its own scale, capped at 4x the target so that the target line stays visible.
    const scale = Math.max(Math.min(r.value ?? 0, r.target * 4), r.target) * 1.25 || 1;
    const overflow = r.value !== null && r.value > scale;
    const barLen = r.value === null ? 0 : Math.min(BAR_W, Math.max(2, (r.value / scale) * BAR_W));
    const targetX = LABEL_W + (r.target / scale) * BAR_W;
    const color = r.met === null ? '#9ca3af' : r.met ? '#16a34a' : '#dc2626';
    const valueX = LABEL_W + BAR_W + 16;
    const verdict = r.met === null ? '' : r.met ? ' - met' : ' - missed';
    if (i % 2 === 0) parts.push(`<rect x="12" y="${y - 4}" width="${WIDTH - 24}" height="${ROW}" fill="#f9fafb"/>`);
    parts.push(
      `<text x="24" y="${y + 24}" font-size="14" fill="#111827">${esc(r.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y + 8}" width="${BAR_W}" height="22" fill="#eef2f7"/>`,
      `<rect x="${LABEL_W}" y="${y + 8}" width="${barLen.toFixed(1)}" height="22" fill="${color}"/>`,
      overflow ? `<text x="${LABEL_W + BAR_W - 22}" y="${y + 25}" font-size="16" font-weight="bold" fill="#ffffff">&#187;</text>` : '',
      `<line x1="${targetX.toFixed(1)}" y1="${y + 2}" x2="${targetX.toFixed(1)}" y2="${y + 36}" stroke="#111827" stroke-width="3"/>`,
      `<text x="${valueX}" y="${y + 18}" font-size="14" font-weight="bold" fill="${color}">${esc(fmtValue(r.value, r.unit))}</text>`,
      `<text x="${valueX}" y="${y + 35}" font-size="12" fill="#4b5563">target ${esc(fmtTarget(r))}${verdict}</text>`,
    );
  });
  parts.push(
    `<text x="24" y="${height - 14}" font-size="12" fill="#6b7280">` +
      'Bar: measured. Black line: target. Ratios are against hand-written SQL or a trivial route measured in the same run.</text>',
    '</svg>',
  );
  return parts.join('\n');
}

/** Renders the chart to `file`; returns a note when no system font was found. */
export async function writeChartPng(file: string, title: string, subtitle: string, rows: TargetResult[]): Promise<string | null> {
  const { Resvg } = await import('@resvg/resvg-js');
  const svg = chartSvg(title, subtitle, rows);
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'width', value: WIDTH } })
    .render()
    .asPng();
  writeFileSync(file, png);
  const fonts = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'];
  return fonts.some((f) => existsSync(f))
    ? null
    : 'No DejaVu or Liberation font found: the chart may have no text. On Debian: apt-get install fonts-dejavu-core.';
}
