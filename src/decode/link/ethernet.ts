/**
 * Ethernet II with 802.1Q / 802.1ad tag stacks, and PPPoE session frames.
 * Returns the offset of the network layer and leaves the ethertype in the view, or -1.
 */
import { ETH_QINQ, ETH_QINQ_OLD, ETH_VLAN, type PacketView } from '../packet.js';
import type { WeirdReporter } from '../weirds.js';

const MAX_TAGS = 4;
const ETH_PPPOE_SESSION = 0x8864;

export function decodeEthernet(v: PacketView, off: number, end: number, w: WeirdReporter): number {
  if (end - off < 14) {
    w.weird('truncated_ethernet_frame');
    return -1;
  }
  const b = v.buf;
  v.macOff = off;
  let type = (b[off + 12] << 8) | b[off + 13];
  let p = off + 14;
  let tags = 0;
  while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) {
    if (end - p < 4) {
      w.weird('truncated_vlan_tag');
      return -1;
    }
    if (++tags > MAX_TAGS) {
      w.weird('too_many_vlan_tags');
      return -1;
    }
    const id = ((b[p] << 8) | b[p + 1]) & 0x0fff;
    if (tags === 1) v.vlan = id;
    else if (tags === 2) v.innerVlan = id;
    type = (b[p + 2] << 8) | b[p + 3];
    p += 4;
  }
  if (type === ETH_PPPOE_SESSION) {
    // PPPoE header (6) + PPP protocol (2): 0x0021 IPv4, 0x0057 IPv6.
    if (end - p < 8) {
      w.weird('truncated_pppoe_header');
      return -1;
    }
    const ppp = (b[p + 6] << 8) | b[p + 7];
    type = ppp === 0x0021 ? 0x0800 : ppp === 0x0057 ? 0x86dd : 0;
    p += 8;
  }
  // Values up to 1500 are 802.3 lengths (LLC/SNAP: STP, CDP ...): not IP, counted by the engine.
  v.ethertype = type;
  return p;
}
