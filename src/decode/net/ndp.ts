/**
 * ICMPv6 neighbour discovery (RFC 4861): who claims which IPv6 address from which MAC, and which
 * routers announce which prefixes. Parsed only for ND message types, which are rare, so this may
 * build the record it returns.
 */
import type { LogFields } from '../app/analyzer.js';
import type { WeirdReporter } from '../weirds.js';
import { ipv6String } from '../../util/addr.js';
import { macString } from '../../util/text.js';

const NAMES: Record<number, string> = {
  133: 'router_solicit',
  134: 'router_advert',
  135: 'neighbor_solicit',
  136: 'neighbor_advert',
  137: 'redirect',
};

const MAX_OPTIONS = 16;

function addr(b: Buffer, o: number): string {
  const w = [b.readUInt32BE(o), b.readUInt32BE(o + 4), b.readUInt32BE(o + 8), b.readUInt32BE(o + 12)];
  return ipv6String(w);
}

/** `off` is the ICMPv6 header; `end` the end of captured bytes. Returns null if not ND or unusable. */
export function parseNdp(b: Buffer, off: number, end: number, w: WeirdReporter): LogFields | null {
  const type = b[off];
  const msg = NAMES[type];
  if (!msg) return null;
  // Fixed part after the 4-byte ICMPv6 header: RS 4, RA 12, NS/NA 20, redirect 36.
  const fixed = type === 133 ? 4 : type === 134 ? 12 : type === 137 ? 36 : 20;
  if (end - off < 4 + fixed) {
    w.weird('truncated_icmp6_nd');
    return null;
  }
  const f: LogFields = { msg };
  if (type === 135 || type === 136 || type === 137) f.target = addr(b, off + 8);
  if (type === 136) {
    const fl = b[off + 4];
    f.router = (fl & 0x80) !== 0;
    f.solicited = (fl & 0x40) !== 0;
    f.override = (fl & 0x20) !== 0;
  }
  if (type === 134) {
    f.hop_limit = b[off + 4];
    f.managed = (b[off + 5] & 0x80) !== 0;
    f.other_config = (b[off + 5] & 0x40) !== 0;
    f.router_lifetime = b.readUInt16BE(off + 6);
  }
  let o = off + 4 + fixed;
  const prefixes: string[] = [];
  for (let n = 0; end - o >= 2; n++) {
    if (n >= MAX_OPTIONS) {
      w.weird('icmp6_nd_too_many_options');
      break;
    }
    const ot = b[o];
    const olen = b[o + 1] * 8;
    if (olen === 0 || o + olen > end) {
      w.weird('icmp6_nd_bad_option_length');
      break;
    }
    if ((ot === 1 || ot === 2) && olen >= 8) {
      f[ot === 1 ? 'src_lladdr' : 'target_lladdr'] = macString(b, o + 2);
    } else if (ot === 3 && olen >= 32) {
      prefixes.push(addr(b, o + 16) + '/' + b[o + 2]);
    } else if (ot === 5 && olen >= 8) {
      f.mtu = b.readUInt32BE(o + 4);
    }
    o += olen;
  }
  if (prefixes.length) f.prefixes = prefixes;
  return f;
}
