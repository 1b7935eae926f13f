/**
 * Maltrail trail files (stamparm/maltrail `trails/static/**`): one trail per line, mixing domains,
 * addresses, networks, `ip:port`, URLs and host-less URL paths (`/izuku.arm7`, matched on any
 * host), grouped in blocks under `#` comment lines such as `# Reference: <url>` (kept as the
 * reference of the block's entries) and `# Aliases: …` (kept in `header`). A data line may end in
 * `# comment` (`mass_scanner_cidr.txt`: `5.63.151.0/24 # scanners.labs.rapid7.com`): the comment
 * becomes the entry's description.
 *
 * As Maltrail itself does when it loads trails, a scheme is dropped and so is a trailing `/`:
 * `http://1.2.3.4` and `http://1.2.3.4/` are the address trail `1.2.3.4`, `http://1.2.3.4:81` is
 * `1.2.3.4` port 81.
 */
import type { Emitter } from './emit.js';
import { forEachLine, stripTrailingComment, type FeedInput } from './lines.js';

export function parseMaltrail(input: FeedInput, e: Emitter): void {
  let inComments = false;
  let refSet = false;
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) {
      if (!inComments) {
        // A new comment block starts a new group of trails: its reference replaces the last one.
        inComments = true;
        refSet = false;
        e.meta.reference = e.defaults.reference;
      }
      const m = /^#\s*(Reference|Aliases)\s*:\s*(.*)$/i.exec(line);
      if (m !== null) {
        if (m[1].toLowerCase() === 'reference') {
          const url = m[2].split(/\s/)[0];
          if (!refSet && /^https?:\/\//i.test(url)) { e.meta.reference = url; refSet = true; }
        } else if (!('aliases' in e.header)) {
          e.header.aliases = m[2].trim();
        }
      }
      return;
    }
    inComments = false;
    const { data, comment } = stripTrailingComment(line, '#');
    if (data.length === 0) return;
    let v = data;
    const sep = v.indexOf('://');
    if (sep > 0 && /^[a-z][a-z0-9+.-]*$/i.test(v.slice(0, sep))) v = v.slice(sep + 3);
    if (v.length > 1 && v.charCodeAt(v.length - 1) === 47) v = v.slice(0, -1);
    const before = e.meta.description;
    if (comment !== '') e.meta.description = comment;
    const ok = v.search(/\s/) < 0 && e.auto(v, true);
    e.meta.description = before;
    if (!ok) e.bad(raw);
  });
  e.resetMeta();
}
