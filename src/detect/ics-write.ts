/**
 * ICS writes and ICS exposure (issue 5): what a compromised device (or an intruder) does to the
 * controllers of a small plant, a building or a solar/heating installation.
 *
 *  - `ics.write`: a Modbus write (function codes 5, 6, 15, 16, 22, 23; the decoder marks them
 *    `write`) or a DNP3 control request (SELECT, OPERATE, DIRECT_OPERATE, WRITE, restarts …) that
 *    a client never sent to that server before. Per client→server pair the detector learns the
 *    function codes in use; a first use after the client's learning period is high (an HMI that
 *    only ever read now switches a coil), one during learning is info (routine operation being
 *    learned; the benign corpus captures stay quiet).
 *  - `ics.external`: a LAN device answering ICS traffic from the internet (Modbus 502, DNP3 20000,
 *    S7 102, EtherNet/IP 44818/2222, BACnet 47808, IEC-104 2404, Niagara Fox 1911/4911, FINS 9600,
 *    ProConOS 20547). High when the engine recognised the protocol (service modbus/dnp3) or data
 *    went both ways on a port Vigil does not decode; low when only the port answered (internet
 *    scanners knocking on an exposed port with non-ICS probes: the exposure is worth a note, not an
 *    alarm).
 *
 * Cost: `conn()` rejects every flow that is not outside→LAN with two boolean compares, then one
 * port switch; records come only from the (rare) Modbus/DNP3 flows.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { Severity } from '../alert/alert.js';
import type { DetectConfig } from '../config/detect.js';
import { plural, pushCapped, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap } from './state.js';
import { AddrKind, addrKind } from '../device/ip.js';

/** DNP3 requests that change the outstation's outputs, configuration or running state. */
const DNP3_CONTROL = new Set([
  'WRITE', 'SELECT', 'OPERATE', 'DIRECT_OPERATE', 'DIRECT_OPERATE_NR', 'COLD_RESTART', 'WARM_RESTART',
  'INITIALIZE_DATA', 'INITIALIZE_APPL', 'START_APPL', 'STOP_APPL', 'SAVE_CONFIG', 'ACTIVATE_CONFIG',
]);

/** ICS ports (server side) and the protocol name a sentence uses. */
const ICS_PORTS = new Map<number, string>([
  [502, 'Modbus'], [20000, 'DNP3'], [102, 'Siemens S7'], [44818, 'EtherNet/IP'], [2222, 'EtherNet/IP'],
  [47808, 'BACnet'], [2404, 'IEC 60870-5-104'], [1911, 'Niagara Fox'], [4911, 'Niagara Fox'],
  [9600, 'OMRON FINS'], [20547, 'ProConOS'],
]);

/** Services the engine decodes for the ports above: a flow carrying one is ICS for sure. */
const ICS_SERVICES = ['modbus', 'dnp3'];

/** A continuing write or exposure re-raises its alert (same key: the count grows) at most this often. */
const REPEAT_SECONDS = 3600;
/** Pairs and exposures idle this long are forgotten (a pair's learned codes go with it). */
const IDLE_SECONDS = 30 * 86400;
const SWEEP_EVERY = 60;

class Pair {
  /** Write/control function names this client used on this server, with the time of the last raise. */
  readonly codes = new Map<string, number>();
  last = 0;
}

class Exposure {
  readonly remotes: string[] = [];
  readonly uids: string[] = [];
  count = 0;
  first: number;
  last: number;
  raisedAt = -Infinity;
  raisedSeverity: Severity = 'info';
  constructor(ts: number) {
    this.first = ts;
    this.last = ts;
  }
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

function capital(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

class IcsWriteDetector implements Detector {
  readonly name = 'ics-write';
  readonly paths = ['modbus', 'dnp3'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #pairs: BoundedMap<string, Pair>;
  readonly #exposed: BoundedMap<string, Exposure>;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#pairs = new BoundedMap(config.maxTracked, () => ctx.count('detect.ics-write.pairs_dropped'));
    this.#exposed = new BoundedMap(config.maxTracked, () => ctx.count('detect.ics-write.exposures_dropped'));
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null) return;
    let func: string;
    let proto: string;
    let detail = '';
    if (path === 'modbus') {
      if (f.write !== true || f.pdu_type !== 'REQ' || typeof f.func !== 'string') return;
      func = f.func;
      proto = 'Modbus';
      if (typeof f.address === 'number') {
        const q = typeof f.quantity === 'number' ? f.quantity : 1;
        detail = q > 1 ? `addresses ${f.address}-${f.address + q - 1}` : `address ${f.address}`;
      }
    } else {
      const fc = f.fc_request;
      if (typeof fc !== 'string' || !DNP3_CONTROL.has(fc)) return;
      func = fc;
      proto = 'DNP3';
    }
    this.#write(ts, conn, proto, func, detail, f);
  }

  #write(ts: number, conn: ConnInfo, proto: string, func: string, detail: string, f: LogFields): void {
    const ctx = this.#ctx;
    const pair = this.#pairs.upsert(`${conn.origH}>${conn.respH}`, () => new Pair());
    pair.last = ts;
    const raisedAt = pair.codes.get(func);
    // Learned during the client's learning period (raisedAt = Infinity): routine, never raised again.
    if (raisedAt !== undefined && (raisedAt === Infinity || ts - raisedAt < REPEAT_SECONDS)) return;
    const client = this.#lanDevice(conn.origH, conn.origMac);
    const server = this.#lanDevice(conn.respH, conn.respMac);
    const device = client ?? server;
    // No LAN device on either end (a public-address plant network): nobody's learning period applies.
    const learning = device === null || ctx.learning(device, ts);
    if (raisedAt === undefined && learning) {
      pair.codes.set(func, Infinity);
      ctx.count('detect.ics-write.learned');
      this.#raiseWrite(ts, conn, proto, func, detail, f, client, server, 'info', true);
      return;
    }
    pair.codes.set(func, ts);
    this.#raiseWrite(ts, conn, proto, func, detail, f, client, server, 'high', false);
  }

  #raiseWrite(
    ts: number, conn: ConnInfo, proto: string, func: string, detail: string, f: LogFields,
    client: string | null, server: string | null, severity: Severity, learning: boolean,
  ): void {
    const ctx = this.#ctx;
    const c = ctx.describe(client, conn.origH);
    const s = ctx.describe(server, conn.respH);
    const what = `a ${proto} ${func}${detail ? ` (${detail})` : ''}`;
    let summary: string;
    if (learning) {
      summary = `${capital(c)} sent ${what} to ${s}; Vigil is still learning which commands are normal here and records it as routine.`;
    } else if (client !== null) {
      summary = `${capital(c)} sent ${what} to ${s} for the first time: it changes how the controlled equipment behaves. If nobody you know did this, disconnect ${c} from the network and check the equipment.`;
    } else {
      summary = `${capital(s)} received ${what} from ${c}, a client that never sent it before: someone is changing how the controlled equipment behaves. If nobody you know did this, block ${conn.origH} and check the equipment.`;
    }
    const evidence: Record<string, string | number | string[]> = {
      protocol: proto,
      function: func,
      client: conn.origH,
      server: conn.respH,
      port: conn.respP,
      uids: [conn.uid],
      count: 1,
      first: ts,
      last: ts,
    };
    if (typeof f.unit === 'number') evidence.unit = f.unit;
    if (typeof f.address === 'number') evidence.address = f.address;
    if (typeof f.quantity === 'number') evidence.quantity = f.quantity;
    ctx.raise({
      ts,
      code: 'ics.write',
      severity,
      device: client ?? server,
      summary,
      evidence,
      key: `ics.write|${conn.origH}|${conn.respH}|${func}`,
    });
  }

  /**
   * The LAN device behind an address. Records come before their flow's conn record, so a device's
   * first flow may find it not yet in the inventory: then the frame's own MAC stands for it when
   * the address is private and the MAC is not a router's.
   */
  #lanDevice(ip: string, mac: string): string | null {
    const d = this.#ctx.deviceOf(ip, mac);
    if (d !== null) return d;
    return mac !== '' && !this.#ctx.isGateway(mac) && addrKind(ip) === AddrKind.Local ? mac : null;
  }

  conn(r: ConnRecord): void {
    // Only outside → LAN matters here; LAN-internal ICS traffic is the write rule's business.
    if (r.localOrig || !r.localResp) return;
    const proto = ICS_PORTS.get(r.respP);
    if (proto === undefined) return;
    // Unanswered knocks (an unexposed port, a dropped SYN) are not ICS traffic.
    if (r.respPkts === 0 || (r.proto === 'tcp' && r.respBytes <= 0 && r.history.indexOf('h') < 0)) return;
    const device = this.#ctx.deviceOf(r.respH, r.respL2);
    const recognised = ICS_SERVICES.some((s) => r.service.indexOf(s) >= 0);
    const decoded = r.respP === 502 || r.respP === 20000;
    const severity: Severity = recognised || (!decoded && r.origBytes > 0 && r.respBytes > 0) ? 'high' : 'low';
    const key = `ics.external|${device ?? r.respH}|${r.respP}`;
    const e = this.#exposed.upsert(key, () => new Exposure(r.ts));
    e.count++;
    if (r.ts > e.last) e.last = r.ts;
    pushCapped(e.remotes, r.origH);
    pushCapped(e.uids, r.uid);
    // Raise at the first sighting, again when it gets worse, and at most once an hour while it goes on.
    if (r.ts - e.raisedAt < REPEAT_SECONDS && SEVERITY_RANK[severity] <= SEVERITY_RANK[e.raisedSeverity]) return;
    e.raisedAt = r.ts;
    e.raisedSeverity = severity;
    const who = this.#ctx.describe(device, r.respH);
    const from = e.remotes.length === 1 ? e.remotes[0] : plural(e.remotes.length, 'address', 'addresses');
    const summary = severity === 'high'
      ? `${capital(who)} is controlled over ${proto} (port ${r.respP}) from ${from} on the internet: industrial controllers must never be reachable from the internet. Remove the port forwarding or firewall rule that exposes it and check its settings.`
      : `${capital(who)} answers on the ${proto} port ${r.respP} to ${from} on the internet (no valid ${proto} was exchanged, probably a scanner): remove the port forwarding or firewall rule that exposes it.`;
    this.#ctx.raise({
      ts: r.ts,
      code: 'ics.external',
      severity,
      device,
      summary,
      evidence: {
        protocol: proto,
        port: r.respP,
        service: r.service || null,
        remotes: [...e.remotes],
        target: r.respH,
        uids: [...e.uids],
        count: e.count,
        first: e.first,
        last: e.last,
      },
      key,
    });
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    this.#pairs.sweep((p) => now - p.last > IDLE_SECONDS);
    this.#exposed.sweep((e) => now - e.last > IDLE_SECONDS);
  }
}

export const icsWrite: DetectorFactory = {
  name: 'ics-write',
  about: 'Modbus/DNP3 writes and control commands a client never sent before, and ICS protocols reached from the internet.',
  create: (config, ctx) => new IcsWriteDetector(config, ctx),
};
