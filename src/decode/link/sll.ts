/** Linux cooked capture v1 (DLT_LINUX_SLL, 16 bytes) and v2 (DLT_LINUX_SLL2, 20 bytes). */
import type { PacketView } from '../packet.js';
import type { WeirdReporter } from '../weirds.js';

const ARPHRD_ETHER = 1;

export function decodeSll(v: PacketView, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 16) {
    w.weird('truncated_sll_header');
    return -1;
  }
  const b = v.buf;
  const hatype = (b[off + 2] << 8) | b[off + 3];
  const alen = (b[off + 4] << 8) | b[off + 5];
  if (hatype === ARPHRD_ETHER && alen === 6) v.sllAddrOff = off + 6;
  v.ethertype = (b[off + 14] << 8) | b[off + 15];
  return off + 16;
}

export function decodeSll2(v: PacketView, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 20) {
    w.weird('truncated_sll2_header');
    return -1;
  }
  const b = v.buf;
  const hatype = (b[off + 8] << 8) | b[off + 9];
  const alen = b[off + 11];
  if (hatype === ARPHRD_ETHER && alen === 6) v.sllAddrOff = off + 12;
  v.ethertype = (b[off] << 8) | b[off + 1];
  return off + 20;
}
