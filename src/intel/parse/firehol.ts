/**
 * FireHOL `.ipset` (single addresses) / `.netset` (networks): one entry per line after a `#`
 * header written by update-ipsets (`# Entries : 235 unique IPs`, `# Category : malware` …); the
 * header's `Key : value` lines are kept in `header` (the updater uses `Entries` to sanity-check a
 * download). Anything but an address or network on a data line is malformed. FireHOL strips the
 * sources' comments, so entries carry no description.
 */
import type { Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';

export function parseFirehol(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) {
      const m = /^#\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.+)$/.exec(line);
      if (m !== null && m[1].length <= 20 && !(m[1] in e.header)) e.header[m[1]] = m[2].trim();
      return;
    }
    if (!e.net(line)) e.bad(raw);
  });
}
