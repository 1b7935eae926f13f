/**
 * TCP, UDP, ICMP and ICMPv6 headers. Each fills ports (ICMP: type and code), flags and the payload
 * span, or leaves l4 = -1 and reports why.
 */
import { type PacketView } from '../packet.js';
import type { WeirdReporter } from '../weirds.js';

/** `end` = end of the datagram's captured bytes; `wireEnd` = where the header says it ends. */
export function decodeTcp(v: PacketView, off: number, end: number, wireEnd: number, w: WeirdReporter): void {
  const b = v.buf;
  if (end - off < 20) {
    w.weird(wireEnd - off < 20 ? 'tcp_header_too_short' : 'truncated_tcp_header');
    return;
  }
  const doff = (b[off + 12] >> 4) << 2;
  if (doff < 20) {
    w.weird('tcp_bad_header_length');
    return;
  }
  v.sport = (b[off] << 8) | b[off + 1];
  v.dport = (b[off + 2] << 8) | b[off + 3];
  v.seq = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  v.ack = ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0;
  v.tcpFlags = b[off + 13];
  v.win = (b[off + 14] << 8) | b[off + 15];
  v.l4 = off;
  const pOff = off + doff;
  v.payloadOff = pOff;
  v.payloadWire = wireEnd > pOff ? wireEnd - pOff : 0;
  // Options cut by the snap length still leave ports and flags usable (tcp-truncated-header.pcap).
  v.payloadLen = end > pOff ? end - pOff : 0;
  if (wireEnd < pOff) w.weird('tcp_header_exceeds_datagram');
  if (v.tcpFlags & 0x02 && doff > 20) tcpOptions(v, off + 20, Math.min(pOff, end), w);
}

/** MSS, window scale, SACK-permitted and timestamps from a SYN's options. */
function tcpOptions(v: PacketView, o: number, end: number, w: WeirdReporter): void {
  const b = v.buf;
  while (o < end) {
    const kind = b[o];
    if (kind === 0) return;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = b[o + 1];
    if (len < 2 || o + len > end) {
      w.weird('tcp_bad_option_length');
      return;
    }
    if (kind === 2 && len === 4) v.tcpMss = (b[o + 2] << 8) | b[o + 3];
    else if (kind === 3 && len === 3) v.tcpWscale = b[o + 2];
    else if (kind === 4) v.tcpSackOk = true;
    else if (kind === 8) v.tcpTimestamps = true;
    o += len;
  }
}

export function decodeUdp(v: PacketView, off: number, end: number, wireEnd: number, w: WeirdReporter): void {
  const b = v.buf;
  if (end - off < 8) {
    w.weird('truncated_udp_header');
    return;
  }
  v.sport = (b[off] << 8) | b[off + 1];
  v.dport = (b[off + 2] << 8) | b[off + 3];
  const ulen = (b[off + 4] << 8) | b[off + 5];
  v.l4 = off;
  v.payloadOff = off + 8;
  let wlen = wireEnd - off - 8;
  if (ulen >= 8 && ulen - 8 < wlen) wlen = ulen - 8;
  else if (ulen < 8 || ulen > wireEnd - off) w.weird('udp_bad_length');
  if (wlen < 0) wlen = 0;
  v.payloadWire = wlen;
  const cap = end - off - 8;
  v.payloadLen = cap < wlen ? (cap > 0 ? cap : 0) : wlen;
}

export function decodeIcmp(v: PacketView, off: number, end: number, wireEnd: number, w: WeirdReporter): void {
  const b = v.buf;
  if (end - off < 4) {
    w.weird('truncated_icmp_header');
    return;
  }
  v.icmpType = b[off];
  v.icmpCode = b[off + 1];
  v.l4 = off;
  const t = v.icmpType;
  const isV6 = v.ipVersion === 6;
  // Echo and other query/reply pairs carry an identifier that tells sessions apart.
  const hasId = isV6 ? t === 128 || t === 129 : t === 0 || t === 8 || t === 13 || t === 14 || t === 15 || t === 16 || t === 17 || t === 18;
  if (hasId && end - off >= 6) v.icmpId = (b[off + 4] << 8) | b[off + 5];
  v.payloadOff = off + 8;
  v.payloadWire = wireEnd - off > 8 ? wireEnd - off - 8 : 0;
  v.payloadLen = end - off > 8 ? end - off - 8 : 0;
}
