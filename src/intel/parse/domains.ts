/**
 * Domain lists: one name per line, `#`/`;`/`//`/`!` comments, trailing comments, `*.` wildcards
 * and adblock-style `||name^` entries (a domain indicator covers every name below it anyway).
 * An address on a line is accepted as an address indicator; anything else is malformed.
 */
import type { Emitter } from './emit.js';
import { forEachLine, stripTrailingComment, type FeedInput } from './lines.js';
import { isCommentLine } from './plain.js';

export function parseDomains(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || isCommentLine(line) || line.charCodeAt(0) === 33) return; // ! adblock comment
    let { data, comment } = stripTrailingComment(line, '#');
    if (data.length === 0) return;
    if (data.startsWith('||')) data = data.slice(2);
    if (data.endsWith('^')) data = data.slice(0, -1);
    const sp = data.search(/\s/);
    const value = sp < 0 ? data : data.slice(0, sp);
    const before = e.meta.description;
    if (comment !== '') e.meta.description = comment;
    if (!e.domain(value) && !e.net(value)) e.bad(raw);
    e.meta.description = before;
  });
}
