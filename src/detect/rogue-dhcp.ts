/**
 * Rogue DHCP server (`dhcp.rogue_server`, high): a DHCP server that is not the network's own
 * answers clients (OFFER, ACK or NAK). Whoever answers DHCP tells devices which router and DNS
 * server to use, so a second server can quietly send their traffic through an attacker.
 *
 * The known servers are `detect.rogueDhcp.servers` (MACs or addresses); when that is empty the
 * first server seen becomes the known one (the router's MAC is preferred when two answer the same
 * request). Every server message's source address is in the dhcp record's `msg_orig`. The record
 * carries no MACs, so the server's MAC comes from the inventory (ARP, flows) or from the DHCP
 * flow's own conn record, which ends later: an alert waits up to `MAC_WAIT_SECONDS` for it.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import { isUnicastMac, normalizeMac } from '../device/oui.js';
import { type DetectContext, type Detector, type DetectorFactory, EVIDENCE_LIST_MAX, plural, pushCapped } from './detector.js';
import { BoundedMap } from './state.js';

/** Message types only a server sends. */
const SERVER_MESSAGES = new Set(['OFFER', 'ACK', 'NAK']);
/** How long a rogue server's alert waits for its MAC (the DHCP flow ends 60 s after its last datagram). */
const MAC_WAIT_SECONDS = 120;
/** Same rogue server: re-raised at most once per this while it keeps answering. */
const REPEAT_SECONDS = 600;
/** Rogue servers tracked at once (a network has one or two; more means something odd is going on). */
const MAX_SERVERS = 64;

interface Rogue {
  readonly ip: string;
  mac: string;
  first: number;
  last: number;
  answers: number;
  readonly clients: string[];
  readonly offered: string[];
  readonly routers: string[];
  readonly dns: string[];
  readonly uids: string[];
  /** -1: not raised yet. */
  raisedAt: number;
  /** Answers counted at the last raise (re-raise only when it kept answering). */
  raisedAnswers: number;
}

function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

class RogueDhcpDetector implements Detector {
  readonly name = 'rogue-dhcp';
  readonly paths = ['dhcp'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  /** Known servers by MAC or address (lower case). */
  readonly #known = new Set<string>();
  /** True when the config named none: the first server seen is adopted. */
  readonly #learn: boolean;
  readonly #rogues = new Map<string, Rogue>();
  /**
   * Some rogue may have something to do in `tick` (no MAC yet, not raised, or answered since its
   * raise): otherwise the per-second walk is skipped.
   */
  #busy = false;
  /** DHCP server address → its MAC, from DHCP flows' conn records. */
  readonly #serverMacs: BoundedMap<string, string>;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    for (const s of config.rogueDhcp.servers) this.#known.add(normalizeMac(s) ?? s.trim().toLowerCase());
    this.#learn = this.#known.size === 0;
    this.#serverMacs = new BoundedMap(Math.min(config.maxTracked, 1024), () => ctx.count('detect.rogue-dhcp.servers_dropped'));
  }

  conn(r: ConnRecord): void {
    // Only DHCP flows (server port 67): two compares for every other flow.
    if (r.respP !== 67 && r.origP !== 67) return;
    if (r.proto !== 'udp') return;
    const [ip, mac] = r.origP === 67 ? [r.origH, r.origL2] : [r.respH, r.respL2];
    if (ip === '0.0.0.0' || ip === '255.255.255.255' || !isUnicastMac(mac)) return;
    this.#serverMacs.set(ip, mac);
  }

  #macOf(ip: string): string {
    const own = this.#serverMacs.get(ip);
    if (own !== undefined) return own;
    return this.#ctx.deviceOf(ip, '') ?? '';
  }

  #isKnown(ip: string, mac: string): boolean {
    return this.#known.has(ip) || (mac !== '' && this.#known.has(mac));
  }

  record(_path: string, ts: number, _conn: ConnInfo | null, f: LogFields): void {
    const types = strs(f.msg_types);
    const origs = strs(f.msg_orig);
    const servers: string[] = [];
    for (let i = 0; i < types.length && i < origs.length; i++) {
      const ip = origs[i];
      if (SERVER_MESSAGES.has(types[i]) && ip !== '0.0.0.0' && !servers.includes(ip)) servers.push(ip);
    }
    if (servers.length === 0) return;
    if (this.#learn && this.#known.size === 0) this.#adopt(servers);
    const single = servers.length === 1;
    for (const ip of servers) {
      const mac = this.#macOf(ip);
      if (this.#isKnown(ip, mac)) continue;
      this.#answer(ip, mac, ts, f, single);
    }
  }

  /** The first server seen is the network's own; of two answering at once, the router's. */
  #adopt(servers: readonly string[]): void {
    let pick = servers[0];
    for (const ip of servers) {
      const mac = this.#macOf(ip);
      if (mac !== '' && this.#ctx.isGateway(mac)) {
        pick = ip;
        break;
      }
    }
    this.#known.add(pick);
    const mac = this.#macOf(pick);
    if (mac !== '') this.#known.add(mac);
    this.#ctx.count('detect.rogue-dhcp.server_learned');
  }

  #answer(ip: string, mac: string, ts: number, f: LogFields, single: boolean): void {
    let r = this.#rogues.get(ip);
    if (r === undefined) {
      if (this.#rogues.size >= MAX_SERVERS) {
        this.#ctx.count('detect.rogue-dhcp.rogues_dropped');
        return;
      }
      r = { ip, mac, first: ts, last: ts, answers: 0, clients: [], offered: [], routers: [], dns: [], uids: [], raisedAt: -1, raisedAnswers: 0 };
      this.#rogues.set(ip, r);
    }
    if (r.mac === '' && mac !== '') r.mac = mac;
    r.answers++;
    this.#busy = true;
    if (ts > r.last) r.last = ts;
    const client = typeof f.mac === 'string' ? f.mac : '';
    if (client !== '') pushCapped(r.clients, client);
    for (const u of strs(f.uids)) pushCapped(r.uids, u);
    // With two servers in one transaction the options belong to the last answer: keep them only
    // when this server answered alone.
    if (single) {
      if (typeof f.assigned_addr === 'string') pushCapped(r.offered, f.assigned_addr);
      for (const x of strs(f.routers)) pushCapped(r.routers, x);
      for (const x of strs(f.dns_servers)) pushCapped(r.dns, x);
    }
  }

  tick(now: number): void {
    if (!this.#busy) return;
    let busy = false;
    for (const r of this.#rogues.values()) {
      if (r.mac === '') r.mac = this.#macOf(r.ip);
      if (r.raisedAt < 0) {
        if (r.mac !== '' || now - r.first >= MAC_WAIT_SECONDS) this.#raise(r);
      } else if (r.answers > r.raisedAnswers && now - r.raisedAt >= REPEAT_SECONDS) {
        this.#raise(r);
      }
      if (r.mac === '' || r.raisedAt < 0 || r.answers > r.raisedAnswers) busy = true;
    }
    this.#busy = busy;
  }

  finish(_now: number): void {
    for (const r of this.#rogues.values()) {
      if (r.mac === '') r.mac = this.#macOf(r.ip);
      // The end of input: what waited for a MAC goes now; a raised one gets its final evidence.
      if (r.raisedAt < 0 || r.answers > r.raisedAnswers) this.#raise(r);
    }
  }

  #raise(r: Rogue): void {
    const first = r.raisedAt < 0;
    r.raisedAt = r.last;
    r.raisedAnswers = r.answers;
    const device = r.mac !== '' ? r.mac : null;
    let who = this.#ctx.describe(device, r.ip);
    if (device !== null && who === device) who = `the device at ${r.ip} (${device})`;
    who = who.charAt(0).toUpperCase() + who.slice(1);
    const known = [...this.#known];
    const hands = r.routers.length > 0 || r.dns.length > 0
      ? ` It tells them to use router ${r.routers.join(', ') || '?'} and DNS server ${r.dns.join(', ') || '?'}.`
      : '';
    this.#ctx.raise({
      ts: first ? r.first : r.last,
      code: 'dhcp.rogue_server',
      severity: 'high',
      device,
      summary: `${who} answered ${plural(r.clients.length || 1, 'device')} as a DHCP server although ${known.join(', ') || 'another server'} is the network's own: a second DHCP server can send devices' traffic through an attacker, or cut them off.${hands} Unplug it or turn off its DHCP server, then reconnect the affected devices.`,
      evidence: {
        server_ip: r.ip,
        server_mac: r.mac !== '' ? r.mac : null,
        known_servers: known.slice(0, EVIDENCE_LIST_MAX),
        clients: [...r.clients],
        offered: [...r.offered],
        routers: [...r.routers],
        dns_servers: [...r.dns],
        uids: [...r.uids],
        count: r.answers,
        first: r.first,
        last: r.last,
      },
      key: `dhcp.rogue_server|${r.ip}`,
    });
  }
}

export const rogueDhcp: DetectorFactory = {
  name: 'rogue-dhcp',
  about: 'Rogue DHCP servers: offers or acknowledgements from a server that is not the network\'s own.',
  create: (config, ctx) => new RogueDhcpDetector(config, ctx),
};
