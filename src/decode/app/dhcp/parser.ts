/**
 * DHCPv4 / BOOTP message parser (RFC 2131, options RFC 2132 and later).
 *
 * Pure and allocation-free: it fills a reused `DhcpMessage` with numbers and with (offset, length)
 * views into the caller's buffer, so strings are only built for what the aggregator keeps. Every
 * read is inside `off + len`; anomalies are reported through `weird` (the first one seen) and the
 * parse carries on with what is usable.
 */

/** Fixed BOOTP header (236 bytes) + magic cookie. */
export const DHCP_HEADER_LEN = 240;
export const DHCP_MAGIC = 0x63825363;
/** Reliability R7: at most this many non-pad options are read from one message. */
export const MAX_OPTIONS = 255;

export const OP_REQUEST = 1;
export const OP_REPLY = 2;

/** Header field offsets (RFC 2131 §2). */
const CHADDR = 28;
const SNAME = 44;
const SNAME_LEN = 64;
const FILE = 108;
const FILE_LEN = 128;

export const enum ParseResult {
  Ok = 0,
  /** Shorter than the fixed header: nothing usable. */
  Truncated = 1,
  /** op is neither BOOTREQUEST nor BOOTREPLY. */
  BadOp = 2,
  /** No DHCP magic cookie: plain BOOTP or not DHCP at all (Zeek drops these too). */
  BadCookie = 3,
}

/** A view of one option value; `off < 0` means absent. */
export class OptView {
  off = -1;
  len = 0;
  set(off: number, len: number): void { this.off = off; this.len = len; }
  clear(): void { this.off = -1; this.len = 0; }
  get present(): boolean { return this.off >= 0; }
}

export class DhcpMessage {
  op = 0;
  htype = 0;
  hlen = 0;
  hops = 0;
  xid = 0;
  secs = 0;
  flags = 0;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  ciaddr = 0;
  yiaddr = 0;
  siaddr = 0;
  giaddr = 0;
  /** Absolute offset of the 16-byte chaddr field. */
  chaddrOff = 0;
  /** Option 53; 0 when absent. */
  msgType = 0;
  /** Option 52 (1 = file, 2 = sname, 3 = both carry options). */
  overload = 0;
  /** Non-pad options read (capped at MAX_OPTIONS). */
  optionCount = 0;
  optionsCapped = false;
  /** First anomaly, as a Zeek-style weird name; '' when clean. */
  weird = '';
  /** Options 50, 51, 54, 1 as numbers; -1 when absent. */
  requestedAddr = -1;
  leaseTime = -1;
  serverId = -1;
  subnetMask = -1;
  readonly hostName = new OptView();
  readonly domain = new OptView();
  readonly vendorClass = new OptView();
  readonly clientId = new OptView();
  readonly message = new OptView();
  readonly paramList = new OptView();
  readonly clientFqdn = new OptView();
  readonly relayInfo = new OptView();
  readonly mudUrl = new OptView();
  readonly routers = new OptView();
  readonly dnsServers = new OptView();

  reset(): void {
    this.op = 0; this.htype = 0; this.hlen = 0; this.hops = 0; this.xid = 0; this.secs = 0;
    this.flags = 0; this.ciaddr = 0; this.yiaddr = 0; this.siaddr = 0; this.giaddr = 0;
    this.chaddrOff = 0; this.msgType = 0; this.overload = 0; this.optionCount = 0;
    this.optionsCapped = false; this.weird = '';
    this.requestedAddr = -1; this.leaseTime = -1; this.serverId = -1; this.subnetMask = -1;
    this.hostName.clear(); this.domain.clear(); this.vendorClass.clear(); this.clientId.clear();
    this.message.clear(); this.paramList.clear(); this.clientFqdn.clear(); this.relayInfo.clear();
    this.mudUrl.clear(); this.routers.clear(); this.dnsServers.clear();
  }
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) >>> 0) + (buf[o + 1] << 16) + (buf[o + 2] << 8) + buf[o + 3];
}

/**
 * Parses one DHCP message from `buf[off, off + len)` into `m`. Returns a ParseResult; on `Ok` the
 * message may still carry a `weird` (truncated option, bad length …) with the options read so far.
 */
export function parseDhcp(buf: Uint8Array, off: number, len: number, m: DhcpMessage): ParseResult {
  m.reset();
  if (off < 0 || len < 0 || off + len > buf.length) len = Math.max(0, buf.length - off);
  if (len < DHCP_HEADER_LEN) {
    m.weird = 'dhcp_truncated_message';
    return ParseResult.Truncated;
  }
  m.op = buf[off];
  m.htype = buf[off + 1];
  m.hlen = buf[off + 2];
  m.hops = buf[off + 3];
  m.xid = u32(buf, off + 4);
  m.secs = (buf[off + 8] << 8) | buf[off + 9];
  m.flags = (buf[off + 10] << 8) | buf[off + 11];
  m.ciaddr = u32(buf, off + 12);
  m.yiaddr = u32(buf, off + 16);
  m.siaddr = u32(buf, off + 20);
  m.giaddr = u32(buf, off + 24);
  m.chaddrOff = off + CHADDR;
  if (m.op !== OP_REQUEST && m.op !== OP_REPLY) {
    m.weird = 'dhcp_bad_op';
    return ParseResult.BadOp;
  }
  if (u32(buf, off + 236) !== DHCP_MAGIC) {
    m.weird = 'dhcp_bad_cookie';
    return ParseResult.BadCookie;
  }
  parseOptions(buf, off + DHCP_HEADER_LEN, off + len, m, true);
  // RFC 2131 §4.1: with option 52 the file field is read first, then sname.
  if (m.overload & 1) parseOptions(buf, off + FILE, off + FILE + FILE_LEN, m, false);
  if (m.overload & 2) parseOptions(buf, off + SNAME, off + SNAME + SNAME_LEN, m, false);
  if (m.msgType === 0 && m.weird === '') m.weird = 'dhcp_no_message_type';
  return ParseResult.Ok;
}

/** Walks one option area; `main` is true for the options field proper (only it may hold 52). */
function parseOptions(buf: Uint8Array, start: number, end: number, m: DhcpMessage, main: boolean): void {
  let i = start;
  while (i < end) {
    const code = buf[i];
    if (code === 0) { i++; continue; }
    if (code === 255) return;
    if (i + 1 >= end) { setWeird(m, 'dhcp_truncated_option'); return; }
    const olen = buf[i + 1];
    const vs = i + 2;
    if (vs + olen > end) { setWeird(m, 'dhcp_truncated_option'); return; }
    if (m.optionCount >= MAX_OPTIONS) { m.optionsCapped = true; return; }
    m.optionCount++;
    option(buf, code, vs, olen, m, main);
    i = vs + olen;
  }
}

function option(buf: Uint8Array, code: number, vs: number, olen: number, m: DhcpMessage, main: boolean): void {
  // Later instances overwrite earlier ones, as in Zeek (RFC 3396 concatenation is not applied).
  switch (code) {
    case 1: m.subnetMask = addrOpt(buf, vs, olen, m); break;
    case 3: listOpt(m.routers, vs, olen, m); break;
    case 6: listOpt(m.dnsServers, vs, olen, m); break;
    case 12: m.hostName.set(vs, olen); break;
    case 15: m.domain.set(vs, olen); break;
    case 50: m.requestedAddr = addrOpt(buf, vs, olen, m); break;
    case 51: m.leaseTime = addrOpt(buf, vs, olen, m); break;
    case 52:
      if (!main) break;
      if (olen !== 1) { setWeird(m, 'dhcp_bad_option_length'); break; }
      m.overload = buf[vs] & 3;
      break;
    case 53:
      if (olen !== 1) { setWeird(m, 'dhcp_bad_option_length'); if (olen === 0) break; }
      m.msgType = buf[vs];
      break;
    case 54: m.serverId = addrOpt(buf, vs, olen, m); break;
    case 55: m.paramList.set(vs, olen); break;
    case 56: m.message.set(vs, olen); break;
    case 60: m.vendorClass.set(vs, olen); break;
    case 61:
      if (olen < 2) { setWeird(m, 'dhcp_bad_option_length'); break; }
      m.clientId.set(vs, olen);
      break;
    case 81:
      if (olen < 3) { setWeird(m, 'dhcp_bad_option_length'); break; }
      m.clientFqdn.set(vs, olen);
      break;
    case 82: m.relayInfo.set(vs, olen); break;
    case 161: m.mudUrl.set(vs, olen); break;
    default: break;
  }
}

/** A 4-byte value (address or seconds); -1 and a weird when the length is wrong. */
function addrOpt(buf: Uint8Array, vs: number, olen: number, m: DhcpMessage): number {
  if (olen !== 4) { setWeird(m, 'dhcp_bad_option_length'); return -1; }
  return u32(buf, vs);
}

function listOpt(v: OptView, vs: number, olen: number, m: DhcpMessage): void {
  if (olen === 0 || (olen & 3) !== 0) { setWeird(m, 'dhcp_bad_option_length'); return; }
  v.set(vs, olen);
}

function setWeird(m: DhcpMessage, name: string): void {
  if (m.weird === '') m.weird = name;
}

const MSG_TYPES: readonly string[] = [
  '', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM', 'FORCERENEW',
  'LEASEQUERY', 'LEASEUNASSIGNED', 'LEASEUNKNOWN', 'LEASEACTIVE', 'BULKLEASEQUERY',
  'LEASEQUERYDONE', 'ACTIVELEASEQUERY', 'LEASEQUERYSTATUS', 'TLS',
];

/** Zeek's `DHCP::message_types` names, with its default for unknown codes. */
export function msgTypeName(t: number): string {
  if (t > 0 && t < MSG_TYPES.length) return MSG_TYPES[t];
  return 'unknown-message-type-' + t;
}

/** Dotted quad of a uint32. */
export function ip4(a: number): string {
  return (a >>> 24) + '.' + ((a >>> 16) & 255) + '.' + ((a >>> 8) & 255) + '.' + (a & 255);
}

/** Dotted quads of a list option value (length already checked to be a multiple of 4). */
export function ip4List(buf: Uint8Array, v: OptView, max: number): string[] {
  const out: string[] = [];
  const end = v.off + v.len;
  for (let i = v.off; i + 4 <= end && out.length < max; i += 4) out.push(ip4(u32(buf, i)));
  return out;
}

const HEX = '0123456789abcdef';

/**
 * Finds relay-agent sub-option `code` (RFC 3046) inside option 82 and stores its value view in
 * `out`. Returns 1 when found, 0 when absent, -1 when the sub-option list is malformed.
 */
export function relaySubOption(buf: Uint8Array, v: OptView, code: number, out: OptView): number {
  out.clear();
  const end = v.off + v.len;
  let i = v.off;
  while (i < end) {
    if (i + 2 > end) return -1;
    const c = buf[i];
    const l = buf[i + 1];
    if (i + 2 + l > end) return -1;
    if (c === code) out.set(i + 2, l);
    i += 2 + l;
  }
  return out.present ? 1 : 0;
}

/**
 * Decodes an uncompressed DNS wire-format name (RFC 4702 §2.3.1, option 81 with the E flag) into
 * dotted text with every label escaped by `label`. Returns null when the encoding is broken
 * (compression pointer, label past the end) or longer than 255 bytes.
 */
export function wireName(
  buf: Uint8Array, off: number, len: number, label: (b: Uint8Array, o: number, l: number) => string,
): string | null {
  const end = off + len;
  let i = off;
  let out = '';
  let total = 0;
  while (i < end) {
    const l = buf[i];
    if (l === 0) return out;
    if (l > 63 || i + 1 + l > end) return null;
    total += l + 1;
    if (total > 255) return null;
    if (out !== '') out += '.';
    out += label(buf, i + 1, l);
    i += 1 + l;
  }
  // RFC 4702 allows a partial name (no root label): what was read is the name.
  return out;
}

/**
 * A hardware address the way Zeek's `fmt_mac` prints it: 6 bytes, or 8 bytes unless bytes 7-8 are
 * zero (then the first 6); '' for other lengths.
 */
export function hwAddr(buf: Uint8Array, off: number, len: number): string {
  if (len < 6 || (len < 8 && len !== 6) || off + Math.min(len, 8) > buf.length) return '';
  const n = len === 6 || (buf[off + 6] === 0 && buf[off + 7] === 0) ? 6 : 8;
  let s = '';
  for (let i = 0; i < n; i++) {
    if (i) s += ':';
    s += HEX[buf[off + i] >> 4] + HEX[buf[off + i] & 15];
  }
  return s;
}
