/**
 * Tor exit lists: the bulk list (one address per line, IPv4 and, in some mirrors, IPv6) and the
 * TorDNSEL `exit-addresses` records (`ExitNode <fp>` / `Published` / `LastStatus` /
 * `ExitAddress <ip> <date> <time>`); only `ExitAddress` lines carry indicators, the relay's
 * fingerprint becomes the description. Tor use is not compromise: the category (`tor`) and
 * severity come from the catalogue.
 */
import type { Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';

export function parseTorExits(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || line.charCodeAt(0) === 35) return;
    if (line.startsWith('ExitNode ')) {
      const fp = line.slice(9).trim();
      e.meta.description = /^[0-9A-Fa-f]{40}$/.test(fp) ? 'Tor exit relay ' + fp.toUpperCase() : '';
      return;
    }
    if (line.startsWith('Published') || line.startsWith('LastStatus')) return;
    if (line.startsWith('ExitAddress ')) {
      const ip = line.slice(12).trim().split(/\s+/)[0];
      if (!e.net(ip)) e.bad(raw);
      return;
    }
    if (line.search(/\s/) >= 0 || !e.net(line)) e.bad(raw);
  });
  e.resetMeta();
}
