/**
 * Elastic Common Schema documents (formats.md §1.11) from our Zeek-shaped records. Fields that
 * ECS has are mapped to their ECS names; everything else stays under `vigil.<log>.*` (ECS says:
 * never invent fields inside ECS namespaces).
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';

type Doc = Record<string, unknown>;

/**
 * ISO-8601 time; a capture can carry any 64-bit stamp, and Date covers only ±8.64e15 ms, so an
 * out-of-range stamp is written as epoch seconds rather than crashing the writer.
 */
export function isoTime(ts: number): string {
  const ms = Math.round(ts * 1000);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(ts);
  return new Date(ms).toISOString();
}

const TRANSPORT: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp' };

function ecsMac(m: unknown): string | undefined {
  return typeof m === 'string' && m.length > 0 ? m.toUpperCase().replace(/:/g, '-') : undefined;
}

function set(doc: Doc, path: string, v: unknown): void {
  if (v === undefined || v === null) return;
  const parts = path.split('.');
  let o = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i];
    let next = o[p] as Doc | undefined;
    if (next === undefined || typeof next !== 'object') {
      next = {};
      o[p] = next;
    }
    o = next;
  }
  o[parts[parts.length - 1]] = v;
}

export function ecsDocument(path: string, ts: number, conn: ConnInfo | null, f: LogFields, observer: string): Doc {
  const doc: Doc = {};
  doc['@timestamp'] = isoTime(ts);
  set(doc, 'ecs.version', '8.11.0');
  set(doc, 'event.dataset', `vigil.${path}`);
  set(doc, 'event.module', 'vigil');
  set(doc, 'observer.product', 'vigil');
  set(doc, 'observer.type', 'sensor');
  set(doc, 'observer.hostname', observer);
  if (conn) {
    set(doc, 'event.id', conn.uid);
    set(doc, 'source.ip', conn.origH);
    set(doc, 'source.port', conn.origP);
    set(doc, 'destination.ip', conn.respH);
    set(doc, 'destination.port', conn.respP);
    set(doc, 'network.transport', conn.proto);
    set(doc, 'network.type', conn.origH.includes(':') ? 'ipv6' : 'ipv4');
    set(doc, 'source.mac', ecsMac(conn.origMac));
    set(doc, 'destination.mac', ecsMac(conn.respMac));
    set(doc, 'related.ip', [conn.origH, conn.respH]);
  }
  let kind = 'event';
  let category: string[] = ['network'];
  let type: string[] = ['protocol'];
  const rest: Doc = {};
  for (const k in f) {
    const v = f[k];
    if (v === undefined || v === null) continue;
    if (!mapField(doc, path, k, v)) rest[k] = v;
  }
  if (path === 'conn') {
    type = ['connection', 'end'];
    set(doc, 'network.transport', TRANSPORT[String(f.proto)] ?? String(f.proto));
    if (typeof f.duration === 'number') set(doc, 'event.duration', Math.round(f.duration * 1e9));
    set(doc, 'event.start', doc['@timestamp']);
    const ob = Number(f.orig_ip_bytes ?? 0) + Number(f.resp_ip_bytes ?? 0);
    set(doc, 'network.bytes', ob);
    set(doc, 'network.packets', Number(f.orig_pkts ?? 0) + Number(f.resp_pkts ?? 0));
  } else if (path === 'weird') {
    kind = 'event';
    category = ['network'];
    type = ['info'];
  } else if (path === 'arp' || path === 'dhcp') {
    type = ['info'];
  }
  set(doc, 'event.kind', kind);
  set(doc, 'event.category', category);
  set(doc, 'event.type', type);
  if (Object.keys(rest).length > 0) set(doc, `vigil.${path}`, rest);
  return doc;
}

/** Maps one field to ECS when ECS has it; returns false to keep it under vigil.<path>. */
function mapField(doc: Doc, path: string, k: string, v: unknown): boolean {
  switch (path) {
    case 'conn':
      switch (k) {
        case 'service': set(doc, 'network.protocol', v); return true;
        case 'orig_bytes': set(doc, 'source.bytes', v); return true;
        case 'resp_bytes': set(doc, 'destination.bytes', v); return true;
        case 'orig_pkts': set(doc, 'source.packets', v); return true;
        case 'resp_pkts': set(doc, 'destination.packets', v); return true;
        case 'community_id': set(doc, 'network.community_id', v); return true;
        case 'orig_l2_addr': set(doc, 'source.mac', ecsMac(v)); return true;
        case 'resp_l2_addr': set(doc, 'destination.mac', ecsMac(v)); return true;
        case 'vlan': set(doc, 'network.vlan.id', String(v)); return true;
        case 'inner_vlan': set(doc, 'network.inner.vlan.id', String(v)); return true;
        case 'ip_proto': set(doc, 'network.iana_number', String(v)); return true;
      }
      return false;
    case 'dns':
      switch (k) {
        case 'query': set(doc, 'dns.question.name', v); return true;
        case 'qtype_name': set(doc, 'dns.question.type', v); return true;
        case 'qclass_name': set(doc, 'dns.question.class', v); return true;
        case 'rcode_name': set(doc, 'dns.response_code', v); return true;
        case 'trans_id': set(doc, 'dns.id', String(v)); return true;
        case 'answers':
          if (Array.isArray(v)) {
            set(doc, 'dns.answers', v.map((data) => ({ data })));
            set(doc, 'dns.resolved_ip', v.filter((a) => typeof a === 'string' && /^[0-9a-f:.]+$/i.test(a) && (a.includes('.') || a.includes(':'))));
          }
          return true;
      }
      return false;
    case 'ssl':
      switch (k) {
        case 'server_name': set(doc, 'tls.client.server_name', v); return true;
        case 'ja3': set(doc, 'tls.client.ja3', v); return true;
        case 'ja3s': set(doc, 'tls.server.ja3s', v); return true;
        case 'cipher': set(doc, 'tls.cipher', v); return true;
        case 'curve': set(doc, 'tls.curve', v); return true;
        case 'resumed': set(doc, 'tls.resumed', v); return true;
        case 'established': set(doc, 'tls.established', v); return true;
        case 'next_protocol': set(doc, 'tls.next_protocol', v); return true;
        case 'version':
          if (typeof v === 'string') {
            const m = /^(TLS|SSL)v(\d)(\d)$/.exec(v);
            if (m) {
              set(doc, 'tls.version_protocol', m[1].toLowerCase());
              set(doc, 'tls.version', `${m[2]}.${m[3]}`);
              return true;
            }
          }
          return false;
      }
      return false;
    case 'http':
      switch (k) {
        case 'method': set(doc, 'http.request.method', v); return true;
        case 'host': set(doc, 'url.domain', v); return true;
        case 'uri': set(doc, 'url.original', v); return true;
        case 'referrer': set(doc, 'http.request.referrer', v); return true;
        case 'user_agent': set(doc, 'user_agent.original', v); return true;
        case 'status_code': set(doc, 'http.response.status_code', v); return true;
        case 'version': set(doc, 'http.version', v); return true;
        case 'request_body_len': set(doc, 'http.request.body.bytes', v); return true;
        case 'response_body_len': set(doc, 'http.response.body.bytes', v); return true;
      }
      return false;
    case 'dhcp':
      switch (k) {
        case 'mac': set(doc, 'client.mac', ecsMac(v)); return true;
        case 'assigned_addr': set(doc, 'client.ip', v); return true;
        case 'host_name': set(doc, 'host.hostname', v); return true;
        case 'server_addr': set(doc, 'server.ip', v); return true;
      }
      return false;
  }
  return false;
}
