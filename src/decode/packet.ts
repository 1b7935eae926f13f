/**
 * PacketView: what decoding learned about the current packet. One instance per engine, reset per
 * packet; every field is assigned in the constructor so V8 keeps one hidden class (rule 7).
 * Offsets point into `buf`, which is the capture window or, for a reassembled IP datagram, the
 * reassembly buffer.
 */
export class PacketView {
  ts = 0;
  linktype = 0;
  buf: Buffer = Buffer.alloc(0);
  caplen = 0;
  wirelen = 0;

  /** Offset of the destination MAC (source MAC at +6), or -1 when the link has none. */
  macOff = -1;
  /** Offset of the link-layer source address for Linux cooked captures (-1 if none/not 6 bytes). */
  sllAddrOff = -1;
  vlan = 0;
  innerVlan = 0;
  ethertype = 0;

  /** Network layer. */
  l3 = -1;
  ipVersion = 0;
  ipHdrLen = 0;
  /** Bytes of the IP datagram as its header states (Zeek's ip_bytes). */
  ipLen = 0;
  ttl = 0;
  /** Address bytes: IPv4 in word 0, IPv6 in words 0-3 (big-endian words). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  srcOff = -1;
  dstOff = -1;
  proto = 0;
  /** True for a datagram rebuilt from fragments (buf is then the reassembly buffer). */
  reassembled = false;

  /** Transport layer; l4 is -1 when the transport header is missing or cut. */
  l4 = -1;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  win = 0;
  /** TCP options, parsed on SYN packets only (handshake fingerprints): -1 when absent. */
  tcpMss = -1;
  tcpWscale = -1;
  tcpSackOk = false;
  tcpTimestamps = false;
  icmpType = 0;
  icmpCode = 0;
  icmpId = 0;
  /** Application payload: offset and bytes captured; payloadWire counts bytes the header claims. */
  payloadOff = 0;
  payloadLen = 0;
  payloadWire = 0;

  reset(): void {
    this.macOff = -1;
    this.sllAddrOff = -1;
    this.vlan = 0;
    this.innerVlan = 0;
    this.ethertype = 0;
    this.l3 = -1;
    this.ipVersion = 0;
    this.ipHdrLen = 0;
    this.ipLen = 0;
    this.ttl = 0;
    this.srcOff = -1;
    this.dstOff = -1;
    this.proto = 0;
    this.reassembled = false;
    this.l4 = -1;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.seq = 0;
    this.ack = 0;
    this.win = 0;
    this.tcpMss = -1;
    this.tcpWscale = -1;
    this.tcpSackOk = false;
    this.tcpTimestamps = false;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.payloadOff = 0;
    this.payloadLen = 0;
    this.payloadWire = 0;
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;

export const IP_ICMP = 1;
export const IP_TCP = 6;
export const IP_UDP = 17;
export const IP_ICMPV6 = 58;
