/**
 * BSD loopback encapsulations: DLT_NULL (4-byte address family in the writer's byte order) and
 * DLT_LOOP (network byte order); and raw IP, where the version nibble decides.
 */
import { ETH_IPV4, ETH_IPV6, type PacketView } from '../packet.js';
import type { WeirdReporter } from '../weirds.js';

function familyToEthertype(af: number): number {
  if (af === 2) return ETH_IPV4;
  // AF_INET6 differs by OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
  if (af === 10 || af === 24 || af === 28 || af === 30) return ETH_IPV6;
  return 0;
}

export function decodeNull(v: PacketView, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 4) {
    w.weird('truncated_null_header');
    return -1;
  }
  const b = v.buf;
  // The writer's byte order is unknown: a small value in either order is the family.
  const le = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  const be = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  v.ethertype = familyToEthertype((le >>> 0) < 256 ? le : be);
  return off + 4;
}

export function decodeRaw(v: PacketView, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 1) {
    w.weird('truncated_raw_ip');
    return -1;
  }
  const ver = v.buf[off] >> 4;
  v.ethertype = ver === 4 ? ETH_IPV4 : ver === 6 ? ETH_IPV6 : 0;
  return off;
}
