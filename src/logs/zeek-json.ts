/**
 * Zeek JSON lines (formats.md §1.1): one object per line, `ts` first, then `uid` and the flattened
 * `id.*` fields, then the record's own fields in order; unset fields omitted. Built by string
 * concatenation: records are per flow or per event, and this is several times faster than
 * assembling an object for JSON.stringify.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';

export function zeekJsonLine(ts: number, conn: ConnInfo | null, fields: LogFields): string {
  let s = '{"ts":' + timeString(ts);
  if (conn) {
    s += ',"uid":"' + conn.uid + '","id.orig_h":"' + conn.origH + '","id.orig_p":' + conn.origP +
      ',"id.resp_h":"' + conn.respH + '","id.resp_p":' + conn.respP;
  }
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined || v === null) continue;
    s += ',"' + k + '":' + value(v);
  }
  return s + '}\n';
}

function value(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    default:
      return JSON.stringify(v);
  }
}

/** Epoch seconds with microsecond precision, as Zeek prints time. */
export function timeString(ts: number): string {
  return String(Math.round(ts * 1e6) / 1e6);
}
