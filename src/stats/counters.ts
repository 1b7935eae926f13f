/**
 * Engine counters. The hot ones are plain numeric fields (a property increment per packet);
 * rarer named counters (`decoder.dns.answers_capped` …) live in a Map. `snapshot()` gives the
 * dotted names users see (Suricata style: capture.*, decoder.*, flow.*).
 */
export class Counters {
  packets = 0;
  bytes = 0;
  ipv4 = 0;
  ipv6 = 0;
  arp = 0;
  tcp = 0;
  udp = 0;
  icmp = 0;
  otherIp = 0;
  flowsEnded = 0;
  flowsExpired = 0;
  flowsEvicted = 0;
  streamGaps = 0;
  streamBufferCapped = 0;
  readonly named = new Map<string, number>();

  add(name: string, n = 1): void {
    this.named.set(name, (this.named.get(name) ?? 0) + n);
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {
      'decoder.packets': this.packets,
      'decoder.bytes': this.bytes,
      'decoder.ipv4': this.ipv4,
      'decoder.ipv6': this.ipv6,
      'decoder.arp': this.arp,
      'decoder.tcp': this.tcp,
      'decoder.udp': this.udp,
      'decoder.icmp': this.icmp,
      'decoder.other_ip': this.otherIp,
      'flow.ended': this.flowsEnded,
      'flow.expired': this.flowsExpired,
      'flow.evicted': this.flowsEvicted,
      'stream.gaps': this.streamGaps,
      'stream.buffer_capped': this.streamBufferCapped,
    };
    for (const [k, v] of this.named) out[k] = v;
    return out;
  }
}
