/**
 * DHCPv6 message parser (RFC 8415; options from RFC 3646, 4704, 6939, 8520).
 *
 * A message is msg-type (1) + transaction-id (3) + options; a relay envelope is msg-type (1) +
 * hop-count (1) + link-address (16) + peer-address (16) + options, one of which (9) holds the
 * relayed message. Options are code (2) + length (2) + value, and some nest (IA_NA → IAADDR →
 * status). Every walk is bounded by the enclosing length, by a total option budget and by a
 * nesting limit; the first anomaly is kept as a Zeek-style weird name and the parse goes on.
 */
import { hex, safeString } from '../../../util/text.js';
import type { Dhcpv6LogRecord } from './types.js';

/** Reliability R7: options read per datagram, nested ones included. */
export const MAX_OPTIONS = 255;
/** Relay envelopes followed (RFC 8415 HOP_COUNT_LIMIT is 8 hops). */
export const MAX_RELAY_DEPTH = 8;
/** Entries kept per list (addresses, names, classes). */
export const MAX_LIST = 16;
/** Requested option codes kept from ORO. */
export const MAX_ORO = 64;

const RELAY_FORW = 12;
const RELAY_REPL = 13;

const MSG_TYPES: readonly string[] = [
  '', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE',
  'DECLINE', 'RECONFIGURE', 'INFORMATION-REQUEST', 'RELAY-FORW', 'RELAY-REPL', 'LEASEQUERY',
  'LEASEQUERY-REPLY', 'LEASEQUERY-DONE', 'LEASEQUERY-DATA', 'RECONFIGURE-REQUEST',
  'RECONFIGURE-REPLY', 'DHCPV4-QUERY', 'DHCPV4-RESPONSE', 'ACTIVELEASEQUERY', 'STARTTLS',
  'BNDUPD', 'BNDREPLY', 'POOLREQ', 'POOLRESP', 'UPDREQ', 'UPDREQALL', 'UPDDONE', 'CONNECT',
  'CONNECTREPLY', 'DISCONNECT', 'STATE', 'CONTACT', 'ADDR-REG-INFORM', 'ADDR-REG-REPLY',
];

export function msgTypeName(t: number): string {
  if (t > 0 && t < MSG_TYPES.length) return MSG_TYPES[t];
  return 'unknown-message-type-' + t;
}

/** True for the message types IANA has assigned (1-37). */
export function knownMsgType(t: number): boolean {
  return t > 0 && t < MSG_TYPES.length;
}

const enum Ctx { Message, Relay, Ia, IaAddr }

export const enum ParseResult {
  Ok = 0,
  /** Too short for a message header, or message type 0 / unassigned: not DHCPv6. */
  NotDhcpv6 = 1,
}

/** Collects what one datagram says; reused, reset per parse. */
export class Dhcpv6Parser {
  weird = '';
  optionsCapped = false;
  listCapped = false;
  relayCapped = false;
  private optionCount = 0;
  // Values of the record under construction (undefined / -1 = absent).
  msgType = 0;
  transId = -1;
  relayType = 0;
  relayHops = 0;
  linkAddr: string | undefined = undefined;
  peerAddr: string | undefined = undefined;
  clientDuid: string | undefined = undefined;
  serverDuid: string | undefined = undefined;
  duidMac: string | undefined = undefined;
  relayMac: string | undefined = undefined;
  fqdn: string | undefined = undefined;
  fqdnFlags = -1;
  vendorEnterprise = -1;
  vendorClass: string[] | undefined = undefined;
  userClass: string[] | undefined = undefined;
  oro: number[] | undefined = undefined;
  addrs: string[] | undefined = undefined;
  prefixes: string[] | undefined = undefined;
  validLifetime = -1;
  statusCode = -1;
  statusMessage: string | undefined = undefined;
  /** Top-level status seen: it wins over one from inside an IA. */
  private topStatus = false;
  dnsServers: string[] | undefined = undefined;
  domainList: string[] | undefined = undefined;
  elapsed = -1;
  rapidCommit = false;
  mudUrl: string | undefined = undefined;
  /** End offset of the last name read by readName. */
  private nameEnd = 0;

  reset(): void {
    this.weird = ''; this.optionsCapped = false; this.listCapped = false; this.relayCapped = false;
    this.optionCount = 0; this.msgType = 0; this.transId = -1; this.relayType = 0; this.relayHops = 0;
    this.linkAddr = undefined; this.peerAddr = undefined; this.clientDuid = undefined;
    this.serverDuid = undefined; this.duidMac = undefined; this.relayMac = undefined;
    this.fqdn = undefined; this.fqdnFlags = -1; this.vendorEnterprise = -1; this.vendorClass = undefined;
    this.userClass = undefined; this.oro = undefined; this.addrs = undefined; this.prefixes = undefined;
    this.validLifetime = -1; this.statusCode = -1; this.statusMessage = undefined; this.topStatus = false;
    this.dnsServers = undefined; this.domainList = undefined; this.elapsed = -1; this.rapidCommit = false;
    this.mudUrl = undefined; this.nameEnd = 0;
  }

  /** Parses `buf[off, off + len)`. On Ok, `record()` gives the row. */
  parse(buf: Uint8Array, off: number, len: number): ParseResult {
    this.reset();
    if (off < 0 || len < 0 || off + len > buf.length) len = Math.max(0, buf.length - off);
    if (len < 4) {
      this.weird = 'dhcpv6_truncated_message';
      return ParseResult.NotDhcpv6;
    }
    if (!knownMsgType(buf[off])) {
      this.weird = 'dhcpv6_bad_msg_type';
      return ParseResult.NotDhcpv6;
    }
    this.message(buf, off, off + len, 0);
    return ParseResult.Ok;
  }

  private message(buf: Uint8Array, start: number, end: number, depth: number): void {
    const type = buf[start];
    this.msgType = type;
    if (type === RELAY_FORW || type === RELAY_REPL) {
      if (depth === 0) this.relayType = type;
      if (start + 34 > end) { this.setWeird('dhcpv6_truncated_message'); return; }
      this.relayHops = depth + 1;
      this.linkAddr = ip6(buf, start + 2);
      this.peerAddr = ip6(buf, start + 18);
      this.options(buf, start + 34, end, Ctx.Relay, depth);
      return;
    }
    if (start + 4 > end) { this.setWeird('dhcpv6_truncated_message'); return; }
    this.transId = (buf[start + 1] << 16) | (buf[start + 2] << 8) | buf[start + 3];
    this.options(buf, start + 4, end, Ctx.Message, depth);
  }

  private options(buf: Uint8Array, start: number, end: number, ctx: Ctx, depth: number): void {
    let i = start;
    let relayed = false;
    while (i < end) {
      if (i + 4 > end) { this.setWeird('dhcpv6_truncated_option'); return; }
      const code = (buf[i] << 8) | buf[i + 1];
      const olen = (buf[i + 2] << 8) | buf[i + 3];
      const vs = i + 4;
      if (vs + olen > end) { this.setWeird('dhcpv6_truncated_option'); return; }
      if (this.optionCount >= MAX_OPTIONS) { this.optionsCapped = true; return; }
      this.optionCount++;
      if (ctx === Ctx.Relay && code === 9) {
        relayed = true;
        if (depth + 1 >= MAX_RELAY_DEPTH) this.relayCapped = true;
        else if (olen === 0 || !knownMsgType(buf[vs])) this.setWeird('dhcpv6_bad_relay_message');
        else this.message(buf, vs, vs + olen, depth + 1);
      } else {
        this.option(buf, code, vs, olen, ctx, depth);
      }
      i = vs + olen;
    }
    if (ctx === Ctx.Relay && !relayed) this.setWeird('dhcpv6_relay_without_message');
  }

  private option(buf: Uint8Array, code: number, vs: number, olen: number, ctx: Ctx, depth: number): void {
    const end = vs + olen;
    if (ctx === Ctx.Ia || ctx === Ctx.IaAddr) {
      if (code === 13) this.status(buf, vs, olen, false);
      else if (ctx === Ctx.Ia && code === 5) this.iaAddr(buf, vs, olen, depth);
      else if (ctx === Ctx.Ia && code === 26) this.iaPrefix(buf, vs, olen, depth);
      return;
    }
    if (ctx === Ctx.Relay) {
      // Client link-layer address (RFC 6939): type 1 = Ethernet.
      if (code === 79 && olen === 8 && buf[vs] === 0 && buf[vs + 1] === 1) this.relayMac = mac(buf, vs + 2);
      return;
    }
    switch (code) {
      case 1:
        this.clientDuid = hex(buf, vs, Math.min(olen, 130));
        this.duidMac = duidMac(buf, vs, olen);
        break;
      case 2: this.serverDuid = hex(buf, vs, Math.min(olen, 130)); break;
      case 3:
        if (olen < 12) { this.setWeird('dhcpv6_bad_option_length'); break; }
        this.options(buf, vs + 12, end, Ctx.Ia, depth);
        break;
      case 4:
        if (olen < 4) { this.setWeird('dhcpv6_bad_option_length'); break; }
        this.options(buf, vs + 4, end, Ctx.Ia, depth);
        break;
      case 25:
        if (olen < 12) { this.setWeird('dhcpv6_bad_option_length'); break; }
        this.options(buf, vs + 12, end, Ctx.Ia, depth);
        break;
      case 6: {
        if (olen & 1) this.setWeird('dhcpv6_bad_option_length');
        const l: number[] = [];
        for (let k = vs; k + 2 <= end; k += 2) {
          if (l.length >= MAX_ORO) { this.listCapped = true; break; }
          l.push((buf[k] << 8) | buf[k + 1]);
        }
        this.oro = l;
        break;
      }
      case 8:
        if (olen !== 2) { this.setWeird('dhcpv6_bad_option_length'); break; }
        // Hundredths of a second on the wire; 0xffff means "longer than that".
        this.elapsed = ((buf[vs] << 8) | buf[vs + 1]) / 100;
        break;
      case 13: this.status(buf, vs, olen, true); break;
      case 14: this.rapidCommit = true; break;
      case 15: this.userClass = this.items(buf, vs, end); break;
      case 16:
        if (olen < 4) { this.setWeird('dhcpv6_bad_option_length'); break; }
        this.vendorEnterprise = ((buf[vs] << 24) >>> 0) + (buf[vs + 1] << 16) + (buf[vs + 2] << 8) + buf[vs + 3];
        this.vendorClass = this.items(buf, vs + 4, end);
        break;
      case 23: {
        if (olen % 16 !== 0) this.setWeird('dhcpv6_bad_option_length');
        const l: string[] = [];
        for (let k = vs; k + 16 <= end; k += 16) {
          if (l.length >= MAX_LIST) { this.listCapped = true; break; }
          l.push(ip6(buf, k));
        }
        this.dnsServers = l;
        break;
      }
      case 24: {
        const l: string[] = [];
        let k = vs;
        while (k < end) {
          if (l.length >= MAX_LIST) { this.listCapped = true; break; }
          const n = this.readName(buf, k, end);
          if (n === null) { this.setWeird('dhcpv6_bad_domain_name'); break; }
          if (n !== '') l.push(n);
          k = this.nameEnd;
        }
        this.domainList = l;
        break;
      }
      case 39: {
        if (olen < 1) { this.setWeird('dhcpv6_bad_option_length'); break; }
        this.fqdnFlags = buf[vs];
        if (olen === 1) break;
        const n = this.readName(buf, vs + 1, end);
        if (n === null) { this.setWeird('dhcpv6_bad_fqdn'); break; }
        if (n !== '') this.fqdn = n;
        break;
      }
      case 112:
        if (olen > 0) this.mudUrl = safeString(buf, vs, olen);
        break;
      default: break;
    }
  }

  private status(buf: Uint8Array, vs: number, olen: number, top: boolean): void {
    if (olen < 2) { this.setWeird('dhcpv6_bad_option_length'); return; }
    if (!top && (this.topStatus || this.statusCode >= 0)) return;
    if (top) this.topStatus = true;
    this.statusCode = (buf[vs] << 8) | buf[vs + 1];
    this.statusMessage = olen > 2 ? safeString(buf, vs + 2, olen - 2) : undefined;
  }

  private iaAddr(buf: Uint8Array, vs: number, olen: number, depth: number): void {
    if (olen < 24) { this.setWeird('dhcpv6_bad_option_length'); return; }
    if (this.addrs === undefined) this.addrs = [];
    if (this.addrs.length >= MAX_LIST) { this.listCapped = true; return; }
    this.addrs.push(ip6(buf, vs));
    if (this.validLifetime < 0) this.validLifetime = u32(buf, vs + 20);
    this.options(buf, vs + 24, vs + olen, Ctx.IaAddr, depth);
  }

  private iaPrefix(buf: Uint8Array, vs: number, olen: number, depth: number): void {
    if (olen < 25) { this.setWeird('dhcpv6_bad_option_length'); return; }
    if (this.prefixes === undefined) this.prefixes = [];
    if (this.prefixes.length >= MAX_LIST) { this.listCapped = true; return; }
    this.prefixes.push(ip6(buf, vs + 9) + '/' + buf[vs + 8]);
    if (this.validLifetime < 0) this.validLifetime = u32(buf, vs + 4);
    this.options(buf, vs + 25, vs + olen, Ctx.IaAddr, depth);
  }

  /** A list of (length16, data) items, as in user class and vendor class. */
  private items(buf: Uint8Array, start: number, end: number): string[] {
    const l: string[] = [];
    let k = start;
    while (k < end) {
      if (k + 2 > end) { this.setWeird('dhcpv6_bad_option_length'); break; }
      const n = (buf[k] << 8) | buf[k + 1];
      if (k + 2 + n > end) { this.setWeird('dhcpv6_bad_option_length'); break; }
      if (l.length >= MAX_LIST) { this.listCapped = true; break; }
      l.push(safeString(buf, k + 2, n));
      k += 2 + n;
    }
    return l;
  }

  /**
   * An uncompressed wire-format name starting at `i` (RFC 8415 §10): dotted, labels escaped.
   * Ends at a zero label or at `end` (a partial name, allowed in option 39). Sets `nameEnd`.
   * Returns null when a label overruns, is a pointer, or the name exceeds 255 bytes.
   */
  private readName(buf: Uint8Array, i: number, end: number): string | null {
    let out = '';
    let total = 0;
    while (i < end) {
      const l = buf[i];
      if (l === 0) { this.nameEnd = i + 1; return out; }
      if (l > 63 || i + 1 + l > end) return null;
      total += l + 1;
      if (total > 255) return null;
      if (out !== '') out += '.';
      out += safeString(buf, i + 1, l);
      i += 1 + l;
    }
    this.nameEnd = end;
    return out;
  }

  private setWeird(name: string): void {
    if (this.weird === '') this.weird = name;
  }

  /** The row for the message just parsed, fields in a stable order. */
  record(): Dhcpv6LogRecord {
    const r: Dhcpv6LogRecord = { msg_type: msgTypeName(this.msgType) };
    if (this.transId >= 0) r.trans_id = this.transId;
    if (this.relayType !== 0) {
      r.relay_type = msgTypeName(this.relayType);
      r.relay_hops = this.relayHops;
      if (this.linkAddr !== undefined) r.link_addr = this.linkAddr;
      if (this.peerAddr !== undefined) r.peer_addr = this.peerAddr;
    }
    if (this.clientDuid !== undefined) r.client_duid = this.clientDuid;
    if (this.serverDuid !== undefined) r.server_duid = this.serverDuid;
    const m = this.duidMac ?? this.relayMac;
    if (m !== undefined) r.mac = m;
    if (this.fqdn !== undefined) r.client_fqdn = this.fqdn;
    if (this.fqdnFlags >= 0) r.client_fqdn_flags = this.fqdnFlags;
    if (this.vendorEnterprise >= 0) r.vendor_enterprise = this.vendorEnterprise;
    if (this.vendorClass !== undefined) r.vendor_class = this.vendorClass;
    if (this.userClass !== undefined) r.user_class = this.userClass;
    if (this.oro !== undefined) r.requested_options = this.oro;
    if (this.addrs !== undefined) r.addrs = this.addrs;
    if (this.prefixes !== undefined) r.prefixes = this.prefixes;
    if (this.validLifetime >= 0) r.valid_lifetime = this.validLifetime;
    if (this.statusCode >= 0) r.status_code = this.statusCode;
    if (this.statusMessage !== undefined) r.status_message = this.statusMessage;
    if (this.dnsServers !== undefined) r.dns_servers = this.dnsServers;
    if (this.domainList !== undefined) r.domain_list = this.domainList;
    if (this.elapsed >= 0) r.elapsed_time = this.elapsed;
    if (this.rapidCommit) r.rapid_commit = true;
    if (this.mudUrl !== undefined) r.mud_url = this.mudUrl;
    return r;
  }
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) >>> 0) + (buf[o + 1] << 16) + (buf[o + 2] << 8) + buf[o + 3];
}

const HEX = '0123456789abcdef';

function mac(buf: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    if (i) s += ':';
    s += HEX[buf[o + i] >> 4] + HEX[buf[o + i] & 15];
  }
  return s;
}

/** The Ethernet address inside a DUID-LLT (type 1) or DUID-LL (type 3), if there is one. */
export function duidMac(buf: Uint8Array, o: number, len: number): string | undefined {
  if (len < 4) return undefined;
  const type = (buf[o] << 8) | buf[o + 1];
  const hw = (buf[o + 2] << 8) | buf[o + 3];
  if (hw !== 1) return undefined;
  if (type === 1 && len === 14) return mac(buf, o + 8);
  if (type === 3 && len === 10) return mac(buf, o + 4);
  return undefined;
}

/** RFC 5952 text of the 16 bytes at `o`: lower case, longest run (≥ 2) of zero groups as `::`. */
export function ip6(buf: Uint8Array, o: number): string {
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let g = 0; g < 8; g++) {
    const zero = buf[o + 2 * g] === 0 && buf[o + 2 * g + 1] === 0;
    if (zero) {
      if (runAt < 0) runAt = g;
      if (g - runAt + 1 > bestLen) { bestAt = runAt; bestLen = g - runAt + 1; }
    } else {
      runAt = -1;
    }
  }
  // IPv4-mapped addresses keep their dotted tail (::ffff:a.b.c.d).
  if (bestAt === 0 && bestLen === 5 && buf[o + 10] === 0xff && buf[o + 11] === 0xff) {
    return '::ffff:' + buf[o + 12] + '.' + buf[o + 13] + '.' + buf[o + 14] + '.' + buf[o + 15];
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestAt) {
      s += '::';
      g += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += (((buf[o + 2 * g] << 8) | buf[o + 2 * g + 1])).toString(16);
  }
  return s;
}
