/**
 * Address text for DNS rdata, written like inet_ntop (which is what Zeek's `fmt("%s", addr)`
 * prints): dotted quad; IPv6 in lower-case hex with the longest run of two or more zero groups
 * shortened to `::` (first run on ties), and the IPv4-compatible/-mapped forms in dotted quad.
 */

export function ipv4String(buf: Uint8Array, off: number): string {
  return buf[off] + '.' + buf[off + 1] + '.' + buf[off + 2] + '.' + buf[off + 3];
}

export function ipv6String(buf: Uint8Array, off: number): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    const w = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
    if (w === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
    } else {
      curBase = -1;
      curLen = 0;
    }
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i > 0) s += ':';
    const w5 = (buf[off + 10] << 8) | buf[off + 11];
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w5 === 0xffff))) {
      return s + ipv4String(buf, off + 12);
    }
    s += ((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}
