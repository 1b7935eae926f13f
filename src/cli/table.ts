/**
 * Output for the listing commands: an aligned table on a terminal, JSON with --json. Cells are
 * network-controlled strings (hostnames, SSDP servers): control characters are replaced so a
 * hostile name cannot move the cursor or rewrite the terminal.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v).replace(CONTROL, '?');
}

/** Left-aligned columns; the last column is not padded; long cells are cut with an ellipsis. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[], maxWidth = 40): string {
  const text = rows.map((r) => r.map((c) => {
    const s = cell(c);
    return s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s;
  }));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** Packet time as local `YYYY-MM-DD HH:MM` (UTC with --utc or when TZ is unset it is UTC anyway). */
export function when(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '';
  const d = new Date(ts * 1000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Parses `7d`, `12h`, `30m`, `90s` or a plain number of seconds. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/.exec(s.trim());
  if (!m) return null;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * mult;
}
