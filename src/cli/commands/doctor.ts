/**
 * `vigil doctor`: tells a new user whether this machine can work as a sensor where it stands.
 * It captures for a few seconds with the same LiveSource as `vigil run` and looks at who talks:
 * a sensor that only sees its own traffic (and broadcasts) is on an ordinary switch port, not on
 * a mirror port or in-line, and would miss every other device. It also checks what would make
 * `vigil run` fail later: the helper's permission, disk space for the data directory, the clock.
 */
import { existsSync, statfsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LiveSource, checkHelper, missingInterfaceMessage, type CaptureHelper, type LiveEvent } from '../../capture/live.js';
import { defaultInterface, interfaceInfo, type InterfaceInfo } from '../../capture/interfaces.js';
import { LINKTYPE_ETHERNET } from '../../capture/frame-parser.js';
import type { PacketSink } from '../../capture/packet-sink.js';
import { ipv6String } from '../../util/addr.js';
import { isVigilError } from '../../util/errors.js';

export const DOCTOR_HELP = `Usage: vigil doctor [options]

Checks whether this machine works as a sensor where it is plugged in: captures for a few seconds
on the interface, then reports the link, promiscuous mode, how many devices' traffic it sees (and
warns when it only sees its own: not on a mirror port or in-line), whether the capture helper may
capture, the disk space for the data directory, and the clock.

Options:
  -i, --interface IF   interface to check (default: the default route's)
  --seconds N          how long to capture (default 10)
  --data-dir DIR       Vigil's data directory (default ./data)
  --min-free-gib N     warn below this much free disk space (default 1)
  --helper NAME        tcpdump (default) or dumpcap
  --helper-path PATH   run this capture helper instead of the installed one
  --json               print the findings as JSON on stdout
  -h, --help           this help

Exit status: 0 when everything looks right, 1 when something needs your attention, 2 on bad usage.
`;

export type CheckStatus = 'ok' | 'note' | 'warn' | 'fail';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
}

/** Caps on what the observer remembers: a busy network must not grow the doctor. */
const MAX_TRACKED = 4096;

function macNumber(buf: Buffer, off: number): number {
  return buf.readUIntBE(off, 6);
}

function macText(m: number): string {
  return m.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

function macFromText(t: string | null): number | null {
  return t ? Number.parseInt(t.replace(/:/g, ''), 16) : null;
}

/** RFC 1918, link-local, shared (CGNAT) space: addresses that belong to a local network. */
function isLocalV4(a: number): boolean {
  const b0 = a >>> 24;
  const b1 = (a >>> 16) & 255;
  return b0 === 10 || (b0 === 172 && b1 >= 16 && b1 < 32) || (b0 === 192 && b1 === 168) || (b0 === 169 && b1 === 254) || (b0 === 100 && b1 >= 64 && b1 < 128);
}

/**
 * Who talks on the wire, from Ethernet headers and IP source addresses. One object per doctor
 * run; per packet it reads a few header fields and touches two bounded sets.
 */
export class PlacementObserver implements PacketSink {
  packets = 0;
  /** Frames on a link type without MAC addresses (e.g. the `any` pseudo-interface). */
  notEthernet = 0;
  /** Frames from or to this machine's MAC. */
  own = 0;
  /** Broadcast or multicast frames from other machines. */
  groupFromOthers = 0;
  /** Unicast frames between two other machines: only a mirror port or an in-line sensor sees these. */
  foreignUnicast = 0;
  /** Newest packet time (epoch seconds). */
  newestTs = 0;
  /** Distinct unicast source MACs other than ours. */
  readonly macs = new Set<number>();
  /** Distinct MACs that sent unicast to someone other than us. */
  readonly transitMacs = new Set<number>();
  readonly localV4 = new Set<number>();
  readonly localV6 = new Set<string>();
  readonly #ownMac: number | null;
  readonly #ownV4: Set<number>;
  readonly #ownV6: Set<string>;
  readonly #w = new Uint32Array(4);

  constructor(ownMac: number | null, ownV4: Iterable<number> = [], ownV6: Iterable<string> = []) {
    this.#ownMac = ownMac;
    this.#ownV4 = new Set(ownV4);
    this.#ownV6 = new Set(ownV6);
  }

  packet(linktype: number, buf: Buffer, off: number, caplen: number, _wirelen: number, ts: number): void {
    this.packets++;
    if (ts > this.newestTs) this.newestTs = ts;
    if (linktype !== LINKTYPE_ETHERNET || caplen < 14) {
      this.notEthernet++;
      return;
    }
    const dst = macNumber(buf, off);
    const src = macNumber(buf, off + 6);
    const dstGroup = (buf[off] & 1) !== 0;
    const srcOwn = src === this.#ownMac;
    if (srcOwn || dst === this.#ownMac) this.own++;
    if (!srcOwn && (buf[off + 6] & 1) === 0) {
      if (this.macs.size < MAX_TRACKED) this.macs.add(src);
      if (dstGroup) this.groupFromOthers++;
      else if (dst !== this.#ownMac) {
        this.foreignUnicast++;
        if (this.transitMacs.size < MAX_TRACKED) this.transitMacs.add(src);
      }
    }
    // Past VLAN tags to the network layer, for the local source addresses.
    let p = off + 12;
    const end = off + caplen;
    let type = buf.readUInt16BE(p);
    while ((type === 0x8100 || type === 0x88a8) && p + 6 <= end) {
      p += 4;
      type = buf.readUInt16BE(p);
    }
    p += 2;
    if (type === 0x0800 && p + 20 <= end) this.#v4(buf.readUInt32BE(p + 12));
    else if (type === 0x0806 && p + 18 <= end) this.#v4(buf.readUInt32BE(p + 14)); // ARP sender address
    else if (type === 0x86dd && p + 24 <= end) {
      const b0 = buf[p + 8];
      const b1 = buf[p + 9];
      // fe80::/10 link-local and fc00::/7 unique-local.
      if ((b0 === 0xfe && (b1 & 0xc0) === 0x80) || (b0 & 0xfe) === 0xfc) {
        if (this.localV6.size >= MAX_TRACKED) return;
        const w = this.#w;
        for (let i = 0; i < 4; i++) w[i] = buf.readUInt32BE(p + 8 + i * 4);
        const text = ipv6String(w);
        if (!this.#ownV6.has(text)) this.localV6.add(text);
      }
    }
  }

  #v4(a: number): void {
    if (a !== 0 && isLocalV4(a) && !this.#ownV4.has(a) && this.localV4.size < MAX_TRACKED) this.localV4.add(a);
  }

  get localIps(): number {
    return this.localV4.size + this.localV6.size;
  }
}

/** The placement verdict from what the observer saw. */
export function placementCheck(o: PlacementObserver, seconds: number): Check {
  if (o.packets === 0) {
    return { id: 'placement', status: 'warn', message: `no packets at all in ${seconds} s: check the cable and that this is the interface the traffic arrives on.` };
  }
  if (o.notEthernet === o.packets) {
    return { id: 'placement', status: 'note', message: 'this link type has no MAC addresses, so the placement cannot be judged; capture on an Ethernet interface to check it.' };
  }
  if (o.foreignUnicast === 0) {
    return {
      id: 'placement',
      status: 'warn',
      message: "you are not on a mirror port or in-line: Vigil only sees this machine's traffic (and broadcasts). Plug the sensor into a switch port that mirrors the router's port, or put it in-line (see docs/CAPTURE.md).",
    };
  }
  return { id: 'placement', status: 'ok', message: `traffic between other devices is visible (${o.foreignUnicast} frames from ${o.transitMacs.size} devices): the sensor sees the network, not just itself.` };
}

const GIB = 1024 ** 3;

export interface DiskFinding extends Check {
  readonly dir: string;
  /** The directory that was measured (the data directory, or its nearest existing parent). */
  readonly measured: string;
  readonly freeBytes: number | null;
  readonly minFreeBytes: number;
}

/** Free space where the data directory is (or will be created). */
export function diskCheck(dir: string, minFreeBytes: number): DiskFinding {
  const abs = resolve(dir);
  let measured = abs;
  while (!existsSync(measured) && dirname(measured) !== measured) measured = dirname(measured);
  let freeBytes: number | null = null;
  try {
    const s = statfsSync(measured);
    freeBytes = s.bavail * s.bsize;
  } catch {
    freeBytes = null;
  }
  const where = measured === abs ? dir : `${dir} (to be created; measured at ${measured})`;
  if (freeBytes === null) {
    return { id: 'disk', status: 'warn', message: `cannot measure free space for ${where}: check that the path is readable.`, dir, measured, freeBytes, minFreeBytes };
  }
  const gib = (freeBytes / GIB).toFixed(1);
  if (freeBytes < minFreeBytes) {
    return {
      id: 'disk',
      status: 'warn',
      message: `only ${gib} GiB free for ${where} (less than ${(minFreeBytes / GIB).toFixed(1)} GiB): free space or choose another --data-dir; the store needs room for weeks of flows.`,
      dir,
      measured,
      freeBytes,
      minFreeBytes,
    };
  }
  return { id: 'disk', status: 'ok', message: `${gib} GiB free for ${where}.`, dir, measured, freeBytes, minFreeBytes };
}

/** Largest tolerated gap between the system clock and the newest packet time. */
export const MAX_CLOCK_SKEW_S = 300;

/**
 * Clock sanity: a year before 2024 means the clock was never set (a Pi without RTC before NTP);
 * a packet time far from the system time means timestamps disagree with the wall clock.
 */
export function clockCheck(nowMs: number, newestPacketTs: number | null): Check {
  const now = new Date(nowMs);
  const stamp = now.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  if (now.getUTCFullYear() < 2024) {
    return {
      id: 'clock',
      status: 'fail',
      message: `the system clock says ${stamp}, which cannot be right: set the time (sudo timedatectl set-ntp true); packet times, baselines and alerts depend on it.`,
    };
  }
  if (newestPacketTs !== null && newestPacketTs > 0) {
    const skew = newestPacketTs - nowMs / 1000;
    if (Math.abs(skew) > MAX_CLOCK_SKEW_S) {
      return {
        id: 'clock',
        status: 'warn',
        message: `packet times are ${Math.round(Math.abs(skew))} s ${skew > 0 ? 'ahead of' : 'behind'} the system clock (${stamp}): check the clock source (timedatectl status).`,
      };
    }
  }
  return { id: 'clock', status: 'ok', message: `system clock ${stamp}${newestPacketTs ? ', packet times agree' : ''}.` };
}

function ownAddresses(iface: string): { v4: number[]; v6: string[] } {
  const v4: number[] = [];
  const v6: string[] = [];
  for (const a of networkInterfaces()[iface] ?? []) {
    if (a.family === 'IPv4') v4.push(a.address.split('.').reduce((x, o) => x * 256 + Number(o), 0));
    else v6.push(a.address.replace(/%.*$/, '').toLowerCase());
  }
  return { v4, v6 };
}

interface DoctorReport {
  ok: boolean;
  interface: (InterfaceInfo & { promiscDuringCapture: boolean | null; wireless: boolean }) | { name: string; exists: false };
  helper: { helper: CaptureHelper; path: string; ok: boolean } | null;
  capture: {
    seconds: number;
    packets: number;
    devices: number;
    devicesTalkingToOthers: number;
    localIps: number;
    ownFrames: number;
    foreignUnicast: number;
    broadcastFromOthers: number;
    macs: string[];
    stats: Record<string, number>;
  } | null;
  disk: { dir: string; measured: string; freeBytes: number | null; minFreeBytes: number };
  checks: Check[];
}

export async function runDoctor(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        interface: { type: 'string', short: 'i' },
        seconds: { type: 'string' },
        'data-dir': { type: 'string' },
        'min-free-gib': { type: 'string' },
        helper: { type: 'string' },
        'helper-path': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    process.stderr.write(`vigil doctor: ${(e as Error).message}. Run 'vigil doctor --help'.\n`);
    return 2;
  }
  const v = parsed.values;
  const seconds = v.seconds !== undefined ? Number(v.seconds) : 10;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
    process.stderr.write(`vigil doctor: --seconds must be a number from 1 to 600.\n`);
    return 2;
  }
  const minFreeGib = v['min-free-gib'] !== undefined ? Number(v['min-free-gib']) : 1;
  if (!Number.isFinite(minFreeGib) || minFreeGib < 0) {
    process.stderr.write(`vigil doctor: --min-free-gib must be a number of GiB (0 or more).\n`);
    return 2;
  }
  const helper = (v.helper ?? 'tcpdump') as CaptureHelper;
  if (helper !== 'tcpdump' && helper !== 'dumpcap') {
    process.stderr.write(`vigil doctor: --helper must be tcpdump or dumpcap, not '${v.helper}'.\n`);
    return 2;
  }
  const report = await diagnose({
    iface: v.interface,
    seconds,
    dataDir: v['data-dir'] ?? './data',
    minFreeBytes: minFreeGib * GIB,
    helper,
    helperPath: v['helper-path'],
    progress: v.json ? null : (line) => process.stderr.write(line),
  });
  if (v.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatReport(report));
  return report.ok ? 0 : 1;
}

interface DiagnoseOptions {
  iface?: string;
  seconds: number;
  dataDir: string;
  minFreeBytes: number;
  helper: CaptureHelper;
  helperPath?: string;
  progress: ((line: string) => void) | null;
}

async function diagnose(o: DiagnoseOptions): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const name = o.iface ?? defaultInterface();
  let ifaceReport: DoctorReport['interface'] = { name: name ?? '', exists: false };
  let helperReport: DoctorReport['helper'] = null;
  let capture: DoctorReport['capture'] = null;
  let newestTs: number | null = null;

  const info = name ? interfaceInfo(name) : null;
  if (!name) {
    add({ id: 'interface', status: 'fail', message: 'no interface to check: there is no default route and no interface is up; give one with -i.' });
  } else if (!info) {
    add({ id: 'interface', status: 'fail', message: missingInterfaceMessage(name) });
  } else {
    const wireless = existsSync(`/sys/class/net/${name}/wireless`);
    ifaceReport = { ...info, promiscDuringCapture: null, wireless };
    if (!info.up) add({ id: 'interface', status: 'fail', message: `${name} is down: bring it up (sudo ip link set ${name} up).` });
    else if (!info.linkUp) add({ id: 'interface', status: 'warn', message: `${name} is up but has no link (operstate ${info.operstate}): check the cable or the switch port.` });
    else add({ id: 'interface', status: 'ok', message: `${name}${info.mac ? ` (${info.mac})` : ''}, link up.` });
    if (wireless) add({ id: 'wireless', status: 'note', message: `${name} is a Wi-Fi interface: in normal (managed) mode it only sees this machine's traffic; use a wired port.` });
  }

  if (process.getuid?.() === 0) {
    add({ id: 'user', status: 'note', message: 'running as root, so the helper check below says nothing about other users: run `vigil doctor` as the user that runs Vigil (Vigil does not need root).' });
  }

  if (name && info?.up) {
    const hc = await checkHelper({ iface: name, helper: o.helper, helperPath: o.helperPath });
    helperReport = { helper: hc.helper, path: hc.path, ok: hc.ok };
    if (!hc.ok && hc.error) add({ id: 'helper', status: 'fail', message: `${hc.error.message} [${hc.error.code}]` });
    else add({ id: 'helper', status: 'ok', message: `${hc.path} may capture on ${name}.` });

    if (hc.ok) {
      const own = ownAddresses(name);
      const observer = new PlacementObserver(macFromText(info.mac), own.v4, own.v6);
      const ac = new AbortController();
      const events: LiveEvent[] = [];
      const source = new LiveSource({
        iface: name,
        helper: o.helper,
        helperPath: o.helperPath,
        signal: ac.signal,
        statsIntervalMs: 1000,
        restart: { minMs: 250, maxMs: 2000 },
        log: () => {},
        onEvent: (e) => events.push(e),
      });
      o.progress?.(`vigil doctor: capturing on ${name} for ${o.seconds} s …\n`);
      let promiscDuring: boolean | null = null;
      // Sample the flags mid-capture: tcpdump turns promiscuous mode on only while it runs.
      const sampler = setTimeout(() => (promiscDuring = interfaceInfo(name)?.promisc ?? null), Math.min(o.seconds * 500, 2000));
      const stopper = setTimeout(() => ac.abort(), o.seconds * 1000);
      let failed: string | null = null;
      try {
        await source.run(observer);
      } catch (e) {
        if (!isVigilError(e)) throw e;
        failed = `${e.message} [${e.code}]`;
      } finally {
        clearTimeout(sampler);
        clearTimeout(stopper);
      }
      if (failed) add({ id: 'capture', status: 'fail', message: failed });
      for (const e of events) if (e.kind === 'helper_exit' || e.kind === 'interface_wait') add({ id: 'capture', status: 'warn', message: e.message });
      const stats = source.stats();
      ifaceReport = { ...ifaceReport, promiscDuringCapture: promiscDuring } as DoctorReport['interface'];
      if (promiscDuring === true) {
        add({ id: 'promiscuous', status: 'ok', message: info.promisc ? 'promiscuous mode is on.' : 'promiscuous mode was on during the capture (the helper turns it on while it runs).' });
      } else if (promiscDuring === false && !failed) {
        add({ id: 'promiscuous', status: 'warn', message: `${name} did not go promiscuous while capturing: frames addressed to other machines are filtered out before Vigil sees them.` });
      }
      newestTs = observer.newestTs || null;
      capture = {
        seconds: o.seconds,
        packets: observer.packets,
        devices: observer.macs.size,
        devicesTalkingToOthers: observer.transitMacs.size,
        localIps: observer.localIps,
        ownFrames: observer.own,
        foreignUnicast: observer.foreignUnicast,
        broadcastFromOthers: observer.groupFromOthers,
        macs: [...observer.macs].slice(0, 64).map(macText),
        stats,
      };
      if (!failed) {
        add({
          id: 'traffic',
          status: observer.packets > 0 ? 'ok' : 'warn',
          message: `${observer.packets} packets in ${o.seconds} s; ${observer.macs.size} other devices (MAC addresses) and ${observer.localIps} local IP addresses seen.`,
        });
        add(placementCheck(observer, o.seconds));
        const drops = stats['capture.kernel_drops'] + stats['capture.if_dropped'];
        if (drops > 0) add({ id: 'drops', status: 'warn', message: `${stats['capture.kernel_drops']} packets dropped by the kernel and ${stats['capture.if_dropped']} by the interface while capturing: see docs/CAPTURE.md about loss.` });
      }
    }
  }

  const disk = diskCheck(o.dataDir, o.minFreeBytes);
  add(disk);
  add(clockCheck(Date.now(), newestTs));
  return {
    ok: !checks.some((c) => c.status === 'warn' || c.status === 'fail'),
    interface: ifaceReport,
    helper: helperReport,
    capture,
    disk: { dir: disk.dir, measured: disk.measured, freeBytes: disk.freeBytes, minFreeBytes: disk.minFreeBytes },
    checks: checks.map((c) => ({ id: c.id, status: c.status, message: c.message })),
  };
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok   ', note: 'note ', warn: 'WARN ', fail: 'FAIL ' };

function formatReport(r: DoctorReport): string {
  const lines = r.checks.map((c) => `${LABEL[c.status]} ${c.id.padEnd(12)} ${c.message}`);
  const bad = r.checks.filter((c) => c.status === 'warn' || c.status === 'fail').length;
  lines.push('');
  lines.push(bad === 0 ? 'Everything looks right.' : `${bad} ${bad === 1 ? 'thing needs' : 'things need'} your attention (WARN/FAIL above).`);
  return lines.join('\n') + '\n';
}
