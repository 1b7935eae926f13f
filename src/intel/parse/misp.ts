/**
 * MISP (formats.md §2.9): an event (`{"Event": {…}}`), a list of them (`[{"Event": …}]`, or a
 * REST search `{"response": [{"Event": …}]}`), or a feed's `manifest.json` (an object keyed by
 * event UUID) whose events are read through `ParseOptions.readEvent(uuid)` (`loadIntelFiles`
 * reads `<uuid>.json` beside the manifest).
 *
 * Only attributes with `to_ids: true` are detection indicators (others are skipped as
 * `not-to-ids`); `deleted` ones are skipped as `removed`. Attributes inside objects count too.
 * Types: `ip-src`/`ip-dst` (address or network), `ip-src|port`/`ip-dst|port`, `domain`,
 * `hostname`, `domain|ip` (both), `url`, `uri` (a host-less path), `ja3-fingerprint-md5`,
 * `md5`/`sha1`/`sha256`/`sha512`, `x509-fingerprint-*`, `hassh-md5`, `filename|md5`-style pairs
 * (the hash); anything else is `unsupported`. The event's `info` is the description (with the
 * attribute's comment when it has one), `threat_level_id` 1/2/3 sets high/medium/low.
 */
import type { Severity } from '../../alert/alert.js';
import type { Emitter } from './emit.js';
import { jsonDocument, toText, type FeedInput } from './lines.js';

const MAX_EVENTS = 100_000;
const LEVELS: Readonly<Record<string, Severity>> = { '1': 'high', '2': 'medium', '3': 'low' };

export function parseMisp(input: FeedInput, e: Emitter): void {
  const doc = jsonDocument(input, (why) => e.bad(why));
  if (doc === undefined) return;
  const events = eventsOf(doc);
  if (events !== null) {
    for (const ev of events) event(ev, e);
  } else if (isObj(doc) && isManifest(doc)) {
    manifest(doc, e);
  } else {
    e.bad('neither a MISP event nor a feed manifest');
  }
  e.resetMeta();
}

/** The events of an event document, or null when it is not one. */
function eventsOf(doc: unknown): unknown[] | null {
  if (isObj(doc) && isObj(doc.Event)) return [doc.Event];
  const list = Array.isArray(doc) ? doc : isObj(doc) && Array.isArray(doc.response) ? doc.response : null;
  if (list === null) return null;
  if (list.length > 0 && !list.some((x) => isObj(x) && isObj(x.Event))) return null;
  return list.map((x) => (isObj(x) && isObj(x.Event) ? x.Event : x));
}

function isManifest(doc: Record<string, unknown>): boolean {
  const keys = Object.keys(doc);
  if (keys.length === 0) return false;
  return keys.every((k) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(k));
}

function manifest(doc: Record<string, unknown>, e: Emitter): void {
  const read = e.options.readEvent;
  if (read === undefined) { e.bad('MISP manifest without access to its event files'); return; }
  let n = 0;
  for (const uuid of Object.keys(doc)) {
    if (++n > MAX_EVENTS) { e.bad('too many events in manifest'); return; }
    let text: string | Uint8Array | null;
    try { text = read(uuid); } catch { text = null; }
    if (text === null) { e.bad('event ' + uuid + ' missing'); continue; }
    let ev: unknown;
    try { ev = JSON.parse(toText(text)); } catch { e.bad('event ' + uuid + ' is not JSON'); continue; }
    const evs = eventsOf(ev);
    if (evs === null) { e.bad('event ' + uuid + ' is not a MISP event'); continue; }
    for (const x of evs) event(x, e);
  }
}

function event(ev: unknown, e: Emitter): void {
  if (!isObj(ev)) { e.bad('event is not an object'); return; }
  const info = typeof ev.info === 'string' ? ev.info.trim() : '';
  const level = typeof ev.threat_level_id === 'string' || typeof ev.threat_level_id === 'number' ? LEVELS[String(ev.threat_level_id)] : undefined;
  const attrs: unknown[] = [];
  if (Array.isArray(ev.Attribute)) attrs.push(...ev.Attribute);
  if (Array.isArray(ev.Object)) {
    for (const o of ev.Object) if (isObj(o) && Array.isArray(o.Attribute)) attrs.push(...o.Attribute);
  }
  for (const a of attrs) {
    if (!isObj(a)) { e.bad('attribute is not an object'); continue; }
    e.resetMeta();
    if (level !== undefined) e.meta.severity = level;
    const comment = typeof a.comment === 'string' ? a.comment.trim() : '';
    const d = info !== '' && comment !== '' ? info + ': ' + comment : info || comment;
    e.meta.description = d.length > 200 ? d.slice(0, 200) + '…' : d;
    mispAttribute(String(a.type ?? ''), String(a.value ?? ''), a.to_ids, a.deleted, e);
  }
}

/** One MISP attribute (also used by the MISP CSV parser). */
export function mispAttribute(type: string, value: string, toIds: unknown, deleted: unknown, e: Emitter): void {
  if (deleted === true || deleted === '1' || deleted === 1) { e.skip('removed'); return; }
  if (!(toIds === true || toIds === 1 || toIds === '1' || toIds === 'True' || toIds === 'true')) { e.skip('not-to-ids'); return; }
  const v = value.trim();
  if (v === '' || type === '') { e.bad(type + ' ' + value); return; }
  let ok = true;
  switch (type) {
    case 'ip-src': case 'ip-dst': ok = e.net(v); break;
    case 'ip-src|port': case 'ip-dst|port': {
      const [ip, port] = v.split('|');
      const p = Number(port);
      ok = port !== undefined && Number.isInteger(p) && p >= 0 && p <= 65535 && e.net(ip.trim(), p);
      break;
    }
    case 'domain': case 'hostname': ok = e.domain(v); break;
    case 'domain|ip': case 'hostname|port': {
      const [name, second] = v.split('|');
      ok = e.domain(name);
      if (ok && type === 'domain|ip' && second !== undefined && second.trim() !== '') ok = e.net(second.trim());
      break;
    }
    case 'url': ok = e.url(v); break;
    case 'uri': ok = e.url(v.charCodeAt(0) === 47 ? v : '/' + v, true); break;
    case 'ja3-fingerprint-md5': ok = e.ja3(v); break;
    case 'md5': case 'sha1': case 'sha256': case 'sha512': case 'hassh-md5': case 'hasshserver-md5':
    case 'x509-fingerprint-md5': case 'x509-fingerprint-sha1': case 'x509-fingerprint-sha256':
      ok = e.hash(v);
      break;
    default:
      if (/^filename\|(md5|sha1|sha256|sha512)$/.test(type)) {
        const h = v.split('|')[1];
        ok = h !== undefined && e.hash(h);
      } else {
        e.skip('unsupported');
      }
  }
  if (!ok) e.bad(type + ' ' + value);
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
