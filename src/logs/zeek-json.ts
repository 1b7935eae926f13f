/**
 * Zeek JSON lines (formats.md §1.1): one object per line, `ts` first, then `uid` and the flattened
 * `id.*` fields, then the record's own fields in order; unset fields omitted. Built by string
 * concatenation: records are per flow or per event, and this is several times faster than
 * assembling an object for JSON.stringify.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';

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
      return jsonString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    default:
      return JSON.stringify(v);
  }
}

/**
 * A JSON string literal. Most values (names, addresses, codes) are printable ASCII without quotes
 * or backslashes: those only need wrapping, which is several times cheaper than JSON.stringify.
 */
export function jsonString(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(v);
  }
  return '"' + v + '"';
}

/** Epoch seconds with microsecond precision, as Zeek prints time. */
export function timeString(ts: number): string {
  // Integer formatting is several times cheaper than the shortest-double algorithm.
  const us = Math.round(ts * 1e6);
  if (!Number.isSafeInteger(us) || us < 0) return String(ts);
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  return sec + (frac < 10 ? '.00000' : frac < 100 ? '.0000' : frac < 1000 ? '.000' : frac < 10000 ? '.00' : frac < 100000 ? '.0' : '.') + frac;
}

/** conn.log line from a ConnRecord, field order as Zeek's Conn::Info plus the policy fields. */
export function zeekConnLine(r: ConnRecord): string {
  let s = '{"ts":' + timeString(r.ts) + ',"uid":"' + r.uid + '","id.orig_h":"' + r.origH + '","id.orig_p":' + r.origP +
    ',"id.resp_h":"' + r.respH + '","id.resp_p":' + r.respP + ',"proto":"' + r.proto + '"';
  if (r.service) s += ',"service":"' + r.service + '"';
  if (r.duration > 0) s += ',"duration":' + r.duration + ',"orig_bytes":' + r.origBytes + ',"resp_bytes":' + r.respBytes;
  s += ',"conn_state":"' + r.connState + '","local_orig":' + r.localOrig + ',"local_resp":' + r.localResp +
    ',"missed_bytes":' + r.missedBytes;
  if (r.history) s += ',"history":"' + r.history + '"';
  s += ',"orig_pkts":' + r.origPkts + ',"orig_ip_bytes":' + r.origIpBytes + ',"resp_pkts":' + r.respPkts +
    ',"resp_ip_bytes":' + r.respIpBytes + ',"ip_proto":' + r.ipProto + ',"community_id":"' + r.communityId + '"';
  if (r.origL2) s += ',"orig_l2_addr":"' + r.origL2 + '"';
  if (r.respL2) s += ',"resp_l2_addr":"' + r.respL2 + '"';
  if (r.vlan) s += ',"vlan":' + r.vlan;
  if (r.innerVlan) s += ',"inner_vlan":' + r.innerVlan;
  return s + '}\n';
}
