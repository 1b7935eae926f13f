/**
 * IPv4 (with options and fragments) and IPv6 (with its extension-header chain and fragments).
 * Both leave addresses, protocol and the transport offset in the view. A fragment that does not
 * complete a datagram ends decoding of the packet (l4 stays -1); a completing one switches the
 * view to the reassembled payload.
 */
import { type PacketView } from '../packet.js';
import type { WeirdReporter } from '../weirds.js';
import type { Reassembler } from './reassembly.js';

/** Returns the transport offset, or -1. `end` is the end of captured bytes. */
export function decodeIpv4(v: PacketView, off: number, end: number, w: WeirdReporter, frags: Reassembler): number {
  const b = v.buf;
  if (end - off < 20) {
    w.weird('truncated_ipv4_header');
    return -1;
  }
  const vihl = b[off];
  if (vihl >> 4 !== 4) {
    w.weird('ipv4_bad_version');
    return -1;
  }
  const hlen = (vihl & 0x0f) << 2;
  if (hlen < 20) {
    w.weird('ipv4_bad_header_length');
    return -1;
  }
  if (end - off < hlen) {
    w.weird('truncated_ipv4_options');
    return -1;
  }
  const total = (b[off + 2] << 8) | b[off + 3];
  if (total < hlen) {
    w.weird('ipv4_total_length_too_small');
    return -1;
  }
  v.l3 = off;
  v.ipVersion = 4;
  v.ipHdrLen = hlen;
  v.ipLen = total;
  v.ttl = b[off + 8];
  v.proto = b[off + 9];
  v.src[0] = ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
  v.dst[0] = ((b[off + 16] << 24) | (b[off + 17] << 16) | (b[off + 18] << 8) | b[off + 19]) >>> 0;
  v.src[1] = v.src[2] = v.src[3] = 0;
  v.dst[1] = v.dst[2] = v.dst[3] = 0;
  // Captured bytes of this datagram: the header's length, cut by the snap length if shorter;
  // bytes beyond `total` are link padding.
  let dEnd = off + total;
  if (dEnd > end) dEnd = end;
  const frag = (b[off + 6] << 8) | b[off + 7];
  const mf = (frag & 0x2000) !== 0;
  const fragOff = (frag & 0x1fff) << 3;
  if (mf || fragOff !== 0) {
    if (off + total > end) {
      // A snap-length-cut fragment cannot be reassembled.
      w.weird('truncated_ip_fragment');
      return -1;
    }
    const key = `4:${v.src[0]}:${v.dst[0]}:${v.proto}:${(b[off + 4] << 8) | b[off + 5]}`;
    const r = frags.add(key, v.ts, fragOff, mf, b, off + hlen, total - hlen);
    if (r !== 'complete') {
      if (r === 'dropped') w.weird('ip_fragment_dropped');
      return -1;
    }
    v.buf = frags.result;
    v.reassembled = true;
    v.ipLen = hlen + frags.result.length;
    return 0;
  }
  return off + hlen <= dEnd ? off + hlen : -1;
}

/** End of the IP datagram's captured bytes: for transport decoders. */
export function ipEnd(v: PacketView, end: number): number {
  if (v.reassembled) return v.buf.length;
  const e = v.l3 + v.ipLen;
  return e < end ? e : end;
}

const MAX_EXT_HEADERS = 8;

export function decodeIpv6(v: PacketView, off: number, end: number, w: WeirdReporter, frags: Reassembler): number {
  const b = v.buf;
  if (end - off < 40) {
    w.weird('truncated_ipv6_header');
    return -1;
  }
  if (b[off] >> 4 !== 6) {
    w.weird('ipv6_bad_version');
    return -1;
  }
  const plen = (b[off + 4] << 8) | b[off + 5];
  v.l3 = off;
  v.ipVersion = 6;
  v.ipHdrLen = 40;
  v.ipLen = 40 + plen;
  v.ttl = b[off + 7];
  for (let i = 0; i < 4; i++) {
    const s = off + 8 + i * 4;
    const d = off + 24 + i * 4;
    v.src[i] = ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) >>> 0;
    v.dst[i] = ((b[d] << 24) | (b[d + 1] << 16) | (b[d + 2] << 8) | b[d + 3]) >>> 0;
  }
  if (plen === 0) {
    // Jumbograms (RFC 2675) never appear on the links we watch; treat as damage.
    w.weird('ipv6_zero_payload_length');
  }
  let dEnd = off + 40 + plen;
  if (dEnd > end) dEnd = end;
  let next = b[off + 6];
  let p = off + 40;
  for (let n = 0; ; n++) {
    switch (next) {
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: {
        // shim6
        if (n >= MAX_EXT_HEADERS) {
          w.weird('ipv6_too_many_extension_headers');
          return -1;
        }
        if (dEnd - p < 8) {
          w.weird('truncated_ipv6_extension_header');
          return -1;
        }
        const len = (b[p + 1] + 1) << 3;
        next = b[p];
        p += len;
        if (p > dEnd) {
          w.weird('truncated_ipv6_extension_header');
          return -1;
        }
        continue;
      }
      case 51: {
        // AH: length in 4-byte units minus 2
        if (dEnd - p < 8) {
          w.weird('truncated_ipv6_extension_header');
          return -1;
        }
        const len = (b[p + 1] + 2) << 2;
        next = b[p];
        p += len;
        if (p > dEnd) {
          w.weird('truncated_ipv6_extension_header');
          return -1;
        }
        continue;
      }
      case 44: {
        if (dEnd - p < 8) {
          w.weird('truncated_ipv6_fragment_header');
          return -1;
        }
        const fo = (b[p + 2] << 8) | b[p + 3];
        const fragOff = fo & 0xfff8;
        const mf = (fo & 1) !== 0;
        const id = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
        const proto = b[p];
        v.proto = proto;
        if (!mf && fragOff === 0) {
          // Atomic fragment (RFC 6946): nothing to reassemble.
          next = proto;
          p += 8;
          continue;
        }
        if (off + 40 + plen > end) {
          w.weird('truncated_ip_fragment');
          return -1;
        }
        const data = p + 8;
        if (data > dEnd) {
          w.weird('truncated_ipv6_fragment_header');
          return -1;
        }
        const key = `6:${v.src[0]}:${v.src[1]}:${v.src[2]}:${v.src[3]}:${v.dst[0]}:${v.dst[1]}:${v.dst[2]}:${v.dst[3]}:${id}`;
        const r = frags.add(key, v.ts, fragOff, mf, b, data, dEnd - data);
        if (r !== 'complete') {
          if (r === 'dropped') w.weird('ip_fragment_dropped');
          return -1;
        }
        v.ipLen = data - off + frags.result.length;
        v.buf = frags.result;
        v.reassembled = true;
        return 0;
      }
      default:
        v.proto = next;
        return p <= dEnd ? p : -1;
    }
  }
}
