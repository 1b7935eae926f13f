/**
 * IP address text and classification from the 4-word form the decoder and flow table use
 * (IPv4 in word 0; IPv6 as four big-endian words).
 */

export function ipv4String(a: number): string {
  return (a >>> 24) + '.' + ((a >>> 16) & 255) + '.' + ((a >>> 8) & 255) + '.' + (a & 255);
}

/** RFC 5952 text: lower-case, longest run of zero groups (length ≥ 2) compressed. */
export function ipv6String(w: ArrayLike<number>, o = 0): string {
  const g = [
    w[o] >>> 16, w[o] & 0xffff, w[o + 1] >>> 16, w[o + 1] & 0xffff,
    w[o + 2] >>> 16, w[o + 2] & 0xffff, w[o + 3] >>> 16, w[o + 3] & 0xffff,
  ];
  // IPv4-mapped addresses read better in dotted form, as Zeek prints them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return '::ffff:' + ipv4String(w[o + 3] >>> 0);
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += g[i].toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

export function ipString(w: ArrayLike<number>, o: number, v6: boolean): string {
  return v6 ? ipv6String(w, o) : ipv4String(w[o] >>> 0);
}

/** Network-order bytes of an address, for hashing (Community ID). */
export function ipBytes(w: ArrayLike<number>, o: number, v6: boolean): Uint8Array {
  const n = v6 ? 4 : 1;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const x = w[o + i] >>> 0;
    out[i * 4] = x >>> 24;
    out[i * 4 + 1] = (x >>> 16) & 255;
    out[i * 4 + 2] = (x >>> 8) & 255;
    out[i * 4 + 3] = x & 255;
  }
  return out;
}

/**
 * Zeek's default `Site::private_address_space` (base/utils/site.zeek): the IANA special-purpose
 * blocks that are not routable, which Zeek treats as local when no local networks are configured
 * (`Site::private_address_space_is_local`), so that conn.log's local_orig/local_resp agree with
 * Zeek's (e.g. 224.0.0.251 is local, 224.2.127.254 is not: wikipedia.pcap, q-in-q.pcap).
 */
export function isPrivate(w: ArrayLike<number>, o: number, v6: boolean): boolean {
  if (!v6) return isPrivateV4(w[o] >>> 0);
  const w0 = w[o] >>> 0;
  const w1 = w[o + 1] >>> 0;
  const hi = w0 >>> 16;
  if (hi === 0x2002) return isPrivateV4((((w0 & 0xffff) << 16) | (w1 >>> 16)) >>> 0); // 6to4 forms
  if ((w0 & 0xfe000000) >>> 0 === 0xfc000000) return true; // fc00::/7 unique local
  if ((w0 & 0xffc00000) >>> 0 === 0xfe800000) return true; // fe80::/10 link local
  if ((w0 & 0xffc00000) >>> 0 === 0xfec00000) return true; // fec0::/10 site local
  if ((w0 & 0xfffffe00) >>> 0 === 0x20010000) return true; // 2001::/23 IETF protocol assignments
  if (w0 === 0x20010db8) return true; // 2001:db8::/32 documentation
  if (w0 === 0x0064ff9b && w1 >>> 16 === 0x0001) return true; // 64:ff9b:1::/48 translation
  if (w0 === 0x01000000 && w1 === 0) return true; // 100::/64 discard-only
  if (w0 === 0 && w1 === 0 && w[o + 2] === 0) {
    const w3 = w[o + 3] >>> 0;
    return w3 === 0 || w3 === 1; // :: and ::1
  }
  return false;
}

function isPrivateV4(a: number): boolean {
  const b1 = a >>> 24;
  if (b1 === 0 || b1 === 10 || b1 === 127 || b1 === 239 || b1 >= 240) return true; // 0/8 10/8 127/8 239/8 240/4 (and 255.255.255.255)
  const b2 = a >>> 16;
  if (b2 === 0xa9fe || b2 === 0xc0a8) return true; // 169.254/16 192.168/16
  if ((a & 0xfff00000) >>> 0 === 0xac100000) return true; // 172.16/12
  if ((a & 0xffc00000) >>> 0 === 0x64400000) return true; // 100.64/10 shared (CGNAT)
  if ((a & 0xfffe0000) >>> 0 === 0xc6120000) return true; // 198.18/15 benchmarking
  const n24 = a >>> 8;
  // 192.0.0/24, 192.0.2/24, 198.51.100/24, 203.0.113/24, 224.0.0/24 (link-local multicast)
  return n24 === 0xc00000 || n24 === 0xc00002 || n24 === 0xc63364 || n24 === 0xcb0071 || n24 === 0xe00000;
}

export function isMulticastOrBroadcast(w: ArrayLike<number>, o: number, v6: boolean): boolean {
  if (!v6) {
    const a = w[o] >>> 0;
    return a >>> 28 === 0xe || a === 0xffffffff || (a & 0xff) === 0xff;
  }
  return w[o] >>> 24 === 0xff;
}
