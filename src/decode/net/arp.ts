/** ARP over Ethernet/IPv4 (the only kind on the LANs we watch). */
import type { WeirdReporter } from '../weirds.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** Validates an Ethernet/IPv4 ARP message; returns its opcode, or 0 if unusable. */
export function checkArp(b: Buffer, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 28) {
    w.weird('truncated_arp');
    return 0;
  }
  const htype = (b[off] << 8) | b[off + 1];
  const ptype = (b[off + 2] << 8) | b[off + 3];
  if (htype !== 1 || ptype !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) {
    w.weird('arp_unsupported_hardware_or_protocol');
    return 0;
  }
  const op = (b[off + 6] << 8) | b[off + 7];
  if (op !== ARP_REQUEST && op !== ARP_REPLY) {
    w.weird('arp_unknown_opcode');
    return 0;
  }
  return op;
}
