/**
 * MISP CSV (the `restSearch` / event export: `uuid,event_id,category,type,value,comment,to_ids,
 * date,…`): each row is one attribute, read as in `misp.ts` (`to_ids` 1/True only, MISP types).
 * Without a `to_ids` column every row counts as meant for detection. A CSV without `type` and
 * `value` columns (MISP's "CSV feed" with a configurable value column) is read by taking the first
 * field shaped like an indicator.
 */
import type { Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';
import { parseCsvLine } from './csv.js';
import { mispAttribute } from './misp.js';
import { classifyValue } from '../normalize.js';

export function parseMispCsv(input: FeedInput, e: Emitter): void {
  let header: string[] | null = null;
  let iType = -1, iValue = -1, iIds = -1, iComment = -1, iDeleted = -1;
  let first = true;
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || line.charCodeAt(0) === 35) return;
    const f = parseCsvLine(line);
    if (f === null) { e.bad(raw); return; }
    if (first) {
      first = false;
      const lc = f.map((x) => x.trim().toLowerCase());
      if (lc.includes('value')) {
        header = lc;
        iType = lc.indexOf('type');
        iValue = lc.indexOf('value');
        iIds = lc.indexOf('to_ids');
        iComment = lc.indexOf('comment');
        iDeleted = lc.indexOf('deleted');
        return;
      }
    }
    if (header === null || iType < 0) {
      const v = iValue >= 0 ? f[iValue] : f.find((x) => classifyValue(x.trim()) !== 'none');
      if (v === undefined || !e.auto(v.trim())) e.bad(raw);
      return;
    }
    const get = (i: number): string => (i >= 0 && i < f.length ? f[i] : '');
    e.resetMeta();
    const comment = get(iComment).trim();
    if (comment !== '') e.meta.description = comment.length > 200 ? comment.slice(0, 200) + '…' : comment;
    const before = e.malformed;
    const examples = e.examples.length;
    mispAttribute(get(iType).trim(), get(iValue), iIds < 0 ? true : get(iIds).trim(), iDeleted < 0 ? false : get(iDeleted).trim(), e);
    if (e.malformed > before) {
      // mispAttribute reports "type value"; show the whole row instead.
      if (e.examples.length > examples) e.examples.pop();
      e.malformed--;
      e.bad(raw);
    }
  });
  e.resetMeta();
}
