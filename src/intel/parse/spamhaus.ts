/**
 * Spamhaus DROP: the legacy text (`; comment` header, rows `1.10.16.0/20 ; SBL256894`) and the
 * NDJSON files (`{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`, a final
 * `{"type":"metadata",…}` line, IPv6 written with `\/`). The SBL id is the description and links
 * to its record. ASN-DROP lines (`{"asn":…}`) are not addresses: skipped as unsupported.
 */
import type { Emitter } from './emit.js';
import { forEachLine, stripTrailingComment, type FeedInput } from './lines.js';

const SBL_URL = 'https://www.spamhaus.org/sbl/query/';

export function parseSpamhaus(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || line.charCodeAt(0) === 59 || line.charCodeAt(0) === 35) return;
    let cidr: string;
    let sbl = '';
    if (line.charCodeAt(0) === 123) {
      let o: unknown;
      try { o = JSON.parse(line); } catch { e.bad(raw); return; }
      if (o === null || typeof o !== 'object' || Array.isArray(o)) { e.bad(raw); return; }
      const r = o as Record<string, unknown>;
      if (r.type === 'metadata') {
        if (typeof r.records === 'number') e.header.records = String(r.records);
        if (typeof r.timestamp === 'number') e.header.timestamp = String(r.timestamp);
        return;
      }
      if (typeof r.cidr !== 'string') {
        if (r.asn !== undefined) e.skip('unsupported');
        else e.bad(raw);
        return;
      }
      cidr = r.cidr.trim();
      if (typeof r.sblid === 'string') sbl = r.sblid.trim();
    } else {
      const { data, comment } = stripTrailingComment(line, ';');
      cidr = data;
      sbl = comment;
    }
    if (/^SBL[0-9]+$/.test(sbl)) {
      e.meta.description = sbl;
      e.meta.reference = SBL_URL + sbl;
    } else {
      e.meta.description = sbl;
      e.meta.reference = e.defaults.reference;
    }
    if (!e.net(cidr)) e.bad(raw);
  });
  e.resetMeta();
}
