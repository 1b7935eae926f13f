/**
 * The live sensor under a steady replay (issue 3, "must show" 4): the REAL `vigil run`, capturing
 * with the real tcpdump on one end of a veth pair inside a network namespace this bench creates,
 * while tcpreplay plays the benchmark capture into the other end (in a second namespace) at a fixed
 * packet rate for N minutes. Nothing leaves the two namespaces; both are deleted at the end.
 *
 * Every second it samples the sensor's node process from /proc: VmRSS / VmHWM (status),
 * write_bytes / cancelled_write_bytes / wchar (io), CPU time (stat), the interface's receive
 * counters as the sensor's namespace sees them (/proc/PID/net/dev), the database, WAL and SHM
 * file sizes, and the capture helper's RSS. At the end it reads the SQLite file (rows kept, hourly
 * totals, alerts) and the sensor's status lines (packets, flows, capture drops).
 *
 * Bytes per hour are extrapolated from a steady window: from `warmup` seconds after the replay
 * starts to the end of the replay. The warm-up is left out because a fresh sensor writes one-off
 * things there (every device and baseline row is new, the flow-row budget starts with a full burst,
 * the schema is created); the whole run, warm-up and exit included, is reported beside it.
 *
 * Usage: node dist/bench/replay.js [--minutes 10] [--pps 20000] [--pcap FILE] [--warmup S]
 *                                  [--node-args=--max-old-space-size=256] [--keep]
 *                                  [--json] [--save FILE] [--markdown] [--update-doc] [--from FILE]
 * Needs root (namespaces), tcpreplay, tcpdump and iproute2. Environment: BENCH_DIR (default
 * /tmp/vigil-bench; the capture is BENCH_DIR/bench-small.pcap unless --pcap says otherwise).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SENSOR_NODE_FLAGS } from '../src/sensor/runtime.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

// ---- targets (issue 3, "must show" 4) ----------------------------------------------------------

/** MB = 10^6 bytes: the stricter reading of "300 MB" and "50 MB/hour". */
export const SENSOR_TARGETS = { peakRssMB: 300, diskMBPerHour: 50 } as const;

export interface ReplayOptions {
  /** Minutes of replay (10). */
  minutes: number;
  /** Packets per second tcpreplay sends (20,000). */
  pps: number;
  /** The capture replayed, looped as often as the minutes need. */
  pcap: string;
  /** Seconds after the replay starts that are left out of the per-hour figures (60; a quarter of shorter replays). */
  warmupSeconds: number;
  /** Seconds the sensor keeps running after the replay ends, to drain its queue (5). */
  settleSeconds: number;
  /** `dist/src/cli/main.js` of the build to run. */
  vigil: string;
  /** Keep the scratch directory (database, sensor output) instead of deleting it. */
  keep: boolean;
  /** Extra node options for the sensor (e.g. --max-old-space-size=256), to measure a variant; none by default. */
  nodeArgs: string[];
  log: (line: string) => void;
}

/** One reading of the sensor's process, `t` seconds after the replay started. */
export interface Sample {
  t: number;
  rssKiB: number;
  hwmKiB: number;
  /** /proc/PID/io: bytes the process caused to be sent to the block layer (page-cache dirtying). */
  writeBytes: number;
  /** Dirty bytes dropped before writeback (a truncated file): counted in writeBytes, never written. */
  cancelledWriteBytes: number;
  /** Bytes handed to write() and friends, cached or not. */
  wchar: number;
  /** User + system CPU seconds of the sensor's node process so far. */
  cpuSeconds: number;
  dbBytes: number;
  walBytes: number;
  shmBytes: number;
  /** Interface counters of the capture interface, in the sensor's namespace. */
  rxPackets: number;
  rxDropped: number;
  /** Resident set of the capture helper (tcpdump), 0 when none is running. */
  helperRssKiB: number;
}

/** A status line the sensor printed (once a minute), `t` seconds after the replay started. */
export interface StatusLine {
  t: number;
  packets: number;
  flows: number;
  devices: number;
  alerts: number;
  captureDrops: number;
}

export interface ReplayResult {
  date: string;
  command: string;
  /** Which build was measured, e.g. "commit 0701ff7 plus the working tree (build of 2026-11-21 11:25 UTC)". */
  build?: string;
  options: { minutes: number; pps: number; pcap: string; warmupSeconds: number; settleSeconds: number; nodeArgs: string[] };
  machine: { loadBefore: string; loadAfter: string; busyElsewhereCores: number | null };
  replay: { packetsSent: number; bytesSent: number; seconds: number; pps: number; failed: number; raw: string };
  sensor: {
    exitCode: number | null;
    exitSignal: string | null;
    /** From the sensor's "stopped:" line (null when it did not print one). */
    packets: number | null;
    flows: number | null;
    devices: number | null;
    alerts: number | null;
    /** capture.kernel_drops from the sensor's last status line (it prints one a minute). */
    captureDrops: number | null;
    /** Packets the interface received in the sensor's namespace over the run. */
    interfaceRx: number;
    /** The interface's rx_dropped (frames no protocol took; not capture loss: tcpdump still sees them). */
    interfaceRxDropped: number;
    /** interfaceRx minus the packets the sensor counted, when it said how many. */
    packetsMissed: number | null;
    cpuCores: number;
    status: StatusLine[];
    stderrTail: string[];
    alertCodes: Record<string, number>;
  };
  memory: {
    peakRssKiB: number;
    /** RSS at the end of the warm-up and at the end of the replay: growth across the steady window. */
    rssAtWarmupKiB: number;
    rssAtEndKiB: number;
    /** RSS of the capture helper at its largest. */
    helperPeakRssKiB: number;
    perMinute: { minute: number; rssKiB: number; hwmKiB: number; writeMB: number; dbMB: number; walMB: number }[];
  };
  disk: {
    windowSeconds: number;
    windowWriteBytes: number;
    windowCancelledBytes: number;
    windowWchar: number;
    writeMBPerHour: number;
    netWriteMBPerHour: number;
    wcharMBPerHour: number;
    /** The whole run, warm-up and exit included, over the whole replay time. */
    totalWriteBytes: number;
    totalWchar: number;
    totalWriteMBPerHour: number;
    /** Largest database, WAL and SHM file sizes seen while running, and the files after exit. */
    peakDbBytes: number;
    peakWalBytes: number;
    finalDbBytes: number;
    finalWalBytes: number;
  };
  rows: {
    flows: number;
    dns: number;
    devices: number;
    alerts: number;
    baselineItems: number;
    hourlyRows: number;
    /** Sum of the hourly `flows` column: flows counted in the per-device totals (local devices only). */
    hourlyFlows: number;
    /** Flows the sensor saw minus flow rows kept (the row budget: 20 per second sustained). */
    flowsNotKept: number | null;
  } | null;
  checks: { target: string; measured: string; met: boolean }[];
  samples: Sample[];
}

// ---- small helpers ---------------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = findRoot(HERE);
const BENCH_DIR = resolve(process.env.BENCH_DIR || '/tmp/vigil-bench');

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(from, '../..');
  }
}

export class ReplayUsageError extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || String(r.error ?? '')).trim()}`);
  return r.stdout;
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function field(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** User + system seconds of a process (/proc/PID/stat fields 14 and 15, USER_HZ = 100). */
function cpuOf(pid: number): number | null {
  const s = readOr(`/proc/${pid}/stat`);
  if (!s) return null;
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat). */
function machineCpu(): { busy: number; total: number } | null {
  const f = readOr('/proc/stat');
  if (!f) return null;
  const v = f.slice(0, f.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - v[3] - (v[4] || 0)) / 100, total: total / 100 };
}

function childrenOf(pid: number): number[] {
  const c = readOr(`/proc/${pid}/task/${pid}/children`);
  return c ? c.trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

function commOf(pid: number): string {
  return (readOr(`/proc/${pid}/comm`) ?? '').trim();
}

/** Receive counters of `iface` as the namespace of `pid` sees them. */
function rxOf(pid: number, iface: string): { packets: number; dropped: number } | null {
  const t = readOr(`/proc/${pid}/net/dev`);
  if (!t) return null;
  for (const line of t.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (m && m[1] === iface) {
      const v = m[2].trim().split(/\s+/).map(Number);
      return { packets: v[1], dropped: v[3] };
    }
  }
  return null;
}

function loadavg(): string {
  return (readOr('/proc/loadavg') ?? '').split(' ').slice(0, 3).join(' ');
}

// ---- the run ---------------------------------------------------------------------------------

const STATUS_RE = /vigil: (\d+) packets, (\d+) flows, (\d+) devices, (\d+) alerts; capture drops (\d+)/;
const STOPPED_RE = /vigil: stopped: (\d+) packets, (\d+) flows, (\d+) devices, (\d+) alerts/;
const ALERT_RE = / ALERT \S+ ([\w.]+):/;

export function defaultReplayOptions(): ReplayOptions {
  return {
    minutes: 10,
    pps: 20_000,
    pcap: join(BENCH_DIR, 'bench-small.pcap'),
    warmupSeconds: 60,
    settleSeconds: 5,
    vigil: join(ROOT, 'dist', 'src', 'cli', 'main.js'),
    keep: false,
    // What the launchers pass (scripts/start.sh, deploy/vigil.service): the sensor as users run it.
    nodeArgs: [...SENSOR_NODE_FLAGS],
    log: (l) => process.stderr.write(l + '\n'),
  };
}

/** What is missing to run the sensor bench on this machine, as one sentence; null when nothing is. */
export function replayPrerequisites(pcap?: string): string | null {
  if (process.getuid?.() !== 0) return 'the sensor bench creates network namespaces and needs root: run it with sudo (or as root, as CI does).';
  const missing = ['ip', 'tcpreplay', 'tcpdump'].filter((c) => !has(c));
  if (missing.length) return `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: run scripts/setup.sh (it installs iproute2, tcpdump and tcpreplay).`;
  if (pcap !== undefined && !existsSync(pcap)) return `${pcap} does not exist: build it with ../shared/bench/make-inputs.sh (BENCH_SKIP_LARGE=1 for bench-small only) or pass --pcap.`;
  return null;
}

export async function benchReplay(partial: Partial<ReplayOptions> = {}): Promise<ReplayResult> {
  const o: ReplayOptions = { ...defaultReplayOptions(), ...partial };
  if (partial.warmupSeconds === undefined) o.warmupSeconds = Math.min(60, Math.round((o.minutes * 60) / 4));
  const problem = replayPrerequisites(o.pcap);
  if (problem) throw new ReplayUsageError(problem);
  if (!existsSync(o.vigil)) throw new ReplayUsageError(`${o.vigil} is missing: build first (npm run build).`);
  const replaySeconds = Math.round(o.minutes * 60);
  if (!(replaySeconds >= 10)) throw new ReplayUsageError('--minutes must be at least 1/6 (10 seconds of replay).');
  if (o.warmupSeconds >= replaySeconds) throw new ReplayUsageError('--warmup must be shorter than the replay.');
  const log = o.log;

  const tag = `vb${process.pid % 100000}`;
  const nsSensor = `${tag}-sensor`;
  const nsReplay = `${tag}-replay`;
  const ifSensor = 'vsensor';
  const ifReplay = 'vreplay';
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sensor-bench-'));
  const db = join(dir, 'vigil.db');
  const children: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [nsSensor, nsReplay]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C of the bench must not leave namespaces or a sensor behind.
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Two namespaces joined by a veth pair. Jumbo MTU: the capture holds frames of up to 4,418
    // bytes (TSO-coalesced captures), which a 1500-byte veth would refuse to send. IPv6 off and
    // no addresses: the sensor's namespace must not answer or add traffic of its own.
    for (const ns of [nsSensor, nsReplay]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', ifReplay, 'netns', nsReplay, 'mtu', '9000', 'type', 'veth', 'peer', 'name', ifSensor, 'netns', nsSensor, 'mtu', '9000']);
    sh('ip', ['netns', 'exec', nsSensor, 'sysctl', '-qw', `net.ipv6.conf.${ifSensor}.disable_ipv6=1`]);
    sh('ip', ['netns', 'exec', nsReplay, 'sysctl', '-qw', `net.ipv6.conf.${ifReplay}.disable_ipv6=1`]);
    sh('ip', ['-n', nsSensor, 'link', 'set', ifSensor, 'up']);
    sh('ip', ['-n', nsReplay, 'link', 'set', ifReplay, 'up']);

    // The sensor, exactly as a user starts it (cwd = the scratch dir, so no ./vigil.yaml is picked
    // up: the defaults are measured). `ip netns exec` execs the command in place, so the child's
    // pid is the node process. --duration is only a safety net: the bench stops it with SIGTERM.
    const safety = replaySeconds + o.settleSeconds + 300;
    const argv = [o.vigil, 'run', '-i', ifSensor, '--db', db, '--duration', String(safety)];
    const loadBefore = loadavg();
    log(`sensor: ip netns exec ${nsSensor} node ${[...o.nodeArgs, ...argv].join(' ')}`);
    const sensor = spawn('ip', ['netns', 'exec', nsSensor, process.execPath, ...o.nodeArgs, ...argv], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(sensor);
    const pid = sensor.pid;
    if (pid === undefined) throw new Error('could not start the sensor');
    const status: StatusLine[] = [];
    const alertCodes: Record<string, number> = {};
    const tail: string[] = [];
    let stopped: RegExpExecArray | null = null;
    let started = false;
    let t0 = 0; // performance.now() when the replay started; status lines before it get t < 0
    const since = () => (t0 ? (performance.now() - t0) / 1000 : -1);
    const onLines = (buf: { rest: string }, chunk: Buffer): void => {
      buf.rest += chunk.toString();
      let nl: number;
      while ((nl = buf.rest.indexOf('\n')) >= 0) {
        const line = buf.rest.slice(0, nl);
        buf.rest = buf.rest.slice(nl + 1);
        if (/capturing on/.test(line)) started = true;
        const s = STATUS_RE.exec(line);
        if (s) status.push({ t: since(), packets: +s[1], flows: +s[2], devices: +s[3], alerts: +s[4], captureDrops: +s[5] });
        const e = STOPPED_RE.exec(line);
        if (e) stopped = e;
        const a = ALERT_RE.exec(line);
        if (a) alertCodes[a[1]] = (alertCodes[a[1]] ?? 0) + 1;
        else {
          // Keep the last lines for the report (alerts are counted, not kept: there may be many).
          tail.push(line);
          if (tail.length > 40) tail.shift();
        }
      }
    };
    const outBuf = { rest: '' };
    const errBuf = { rest: '' };
    sensor.stdout!.on('data', (d: Buffer) => onLines(outBuf, d));
    sensor.stderr!.on('data', (d: Buffer) => onLines(errBuf, d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => sensor.on('close', (code, signal) => r({ code, signal })));

    // Wait for the sensor to say it is capturing and for its tcpdump to exist, then a moment for
    // tcpdump to attach to the interface (it prints "listening" to the sensor, not to us).
    const deadline = performance.now() + 30_000;
    while (!(started && childrenOf(pid).some((c) => commOf(c) === 'tcpdump'))) {
      if (sensor.exitCode !== null || performance.now() > deadline) {
        throw new Error(`the sensor did not start capturing: ${tail.join(' | ')}`);
      }
      await sleep(100);
    }
    await sleep(1500);
    if (commOf(pid) !== 'node') throw new Error(`expected the sensor's pid ${pid} to be node, found '${commOf(pid)}'`);

    // The replay. -T nano: pace with nanosleep; tcpreplay's default timer busy-waits and keeps a
    // whole core busy at 20,000 packets/s, which would take half of a 2-core machine from the
    // sensor. --loop 0 --duration: loop the capture for exactly the minutes asked.
    const replayArgs = ['-i', ifReplay, '--pps', String(o.pps), '-T', 'nano', '--no-flow-stats', '--loop', '0', '--duration', String(replaySeconds), o.pcap];
    log(`replay: ip netns exec ${nsReplay} tcpreplay ${replayArgs.join(' ')}`);
    log(`replaying for ${o.minutes} min at ${o.pps} packets/s; sampling the sensor (pid ${pid}) every second`);
    const cpu0 = machineCpu();
    const replay = spawn('ip', ['netns', 'exec', nsReplay, 'tcpreplay', ...replayArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(replay);
    t0 = performance.now();
    let replayOut = '';
    replay.stdout!.on('data', (d: Buffer) => (replayOut += d.toString()));
    replay.stderr!.on('data', (d: Buffer) => (replayOut = (replayOut + d.toString()).slice(-20_000)));
    const replayDone = new Promise<number | null>((r) => replay.on('close', (c) => r(c)));
    const rx0 = rxOf(pid, ifSensor) ?? { packets: 0, dropped: 0 };
    const sensorCpu0 = cpuOf(pid) ?? 0;

    const samples: Sample[] = [];
    let helperPeak = 0;
    let replayCpu = 0;
    let helperCpu = 0;
    const take = (): Sample | null => {
      const st = readOr(`/proc/${pid}/status`);
      const io = readOr(`/proc/${pid}/io`);
      const cpu = cpuOf(pid);
      const rx = rxOf(pid, ifSensor);
      if (!st || !io || cpu === null || !rx) return null;
      let helperRssKiB = 0;
      for (const c of childrenOf(pid)) {
        if (commOf(c) !== 'tcpdump') continue;
        helperRssKiB += field(readOr(`/proc/${c}/status`) ?? '', 'VmRSS');
        helperCpu = Math.max(helperCpu, cpuOf(c) ?? 0);
      }
      helperPeak = Math.max(helperPeak, helperRssKiB);
      if (replay.pid !== undefined) replayCpu = Math.max(replayCpu, cpuOf(replay.pid) ?? 0);
      const s: Sample = {
        t: since(),
        rssKiB: field(st, 'VmRSS'),
        hwmKiB: field(st, 'VmHWM'),
        writeBytes: field(io, 'write_bytes'),
        cancelledWriteBytes: field(io, 'cancelled_write_bytes'),
        wchar: field(io, 'wchar'),
        cpuSeconds: cpu,
        dbBytes: sizeOf(db),
        walBytes: sizeOf(db + '-wal'),
        shmBytes: sizeOf(db + '-shm'),
        rxPackets: rx.packets - rx0.packets,
        rxDropped: rx.dropped - rx0.dropped,
        helperRssKiB,
      };
      samples.push(s);
      return s;
    };
    take();
    // Sample on a fixed one-second grid until the replay ends, then through the settle time.
    // Set from the exit callback; an object so the loop below re-reads it on every turn.
    const ended: { at: number | null } = { at: null };
    void replayDone.then(() => (ended.at = since()));
    let next = 1;
    let lastMinute = 0;
    while (ended.at === null || since() < ended.at + o.settleSeconds) {
      if (sensor.exitCode !== null) break;
      const wait = t0 + next * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      next++;
      const s = take();
      if (s && Math.floor(s.t / 60) > lastMinute) {
        lastMinute = Math.floor(s.t / 60);
        const c = status.at(-1);
        log(`  ${lastMinute} min: RSS ${(s.rssKiB / 1024).toFixed(0)} MiB (peak ${(s.hwmKiB / 1024).toFixed(0)}), written ${(s.writeBytes / 1e6).toFixed(1)} MB, db ${(s.dbBytes / 1e6).toFixed(1)} MB + WAL ${(s.walBytes / 1e6).toFixed(1)} MB, rx ${s.rxPackets}` +
          (c ? `; sensor: ${c.packets} packets, ${c.flows} flows, ${c.devices} devices, drops ${c.captureDrops}` : ''));
      }
    }
    const replayCode = await replayDone;
    const endAt = ended.at;
    const endOfReplay = samples.filter((s) => endAt === null || s.t <= endAt).at(-1) ?? samples.at(-1)!;
    const last = samples.at(-1)!;
    const cpu1 = machineCpu();
    const sensorCpu1 = last.cpuSeconds;

    // Stop the sensor the way a user does; it commits its last batch and checkpoints the WAL.
    if (sensor.exitCode === null) sensor.kill('SIGTERM');
    const killer = setTimeout(() => sensor.kill('SIGKILL'), 60_000);
    const exit = await exited;
    clearTimeout(killer);
    const loadAfter = loadavg();
    if (replayCode !== 0) log(`tcpreplay exited with ${replayCode}: ${replayOut.trim().split('\n').slice(-5).join(' | ')}`);

    // ---- figures ----
    const actual = /Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds/.exec(replayOut);
    const failed = /Failed packets:\s+(\d+)/.exec(replayOut);
    const replayFig = {
      packetsSent: actual ? Number(actual[1]) : 0,
      bytesSent: actual ? Number(actual[2]) : 0,
      seconds: actual ? Number(actual[3]) : 0,
      pps: actual ? Number(actual[1]) / Number(actual[3]) : 0,
      failed: failed ? Number(failed[1]) : 0,
      raw: replayOut.trim().split('\n').filter((l) => /Actual|Rated|packets:/.test(l)).map((l) => l.trim()).join('; '),
    };
    const w0 = samples.find((s) => s.t >= o.warmupSeconds) ?? samples[0];
    const w1 = endOfReplay;
    const windowSeconds = w1.t - w0.t;
    const perHour = windowSeconds > 0 ? 3600 / windowSeconds / 1e6 : 0;
    const windowWrite = w1.writeBytes - w0.writeBytes;
    const windowCancelled = w1.cancelledWriteBytes - w0.cancelledWriteBytes;
    const windowWchar = w1.wchar - w0.wchar;
    const peakRssKiB = Math.max(...samples.map((s) => s.hwmKiB));
    const rows = readRows(db);
    const st = stopped as RegExpExecArray | null;
    const sensorPackets = st ? Number(st[1]) : null;
    const lastStatus = status.at(-1);
    const busyElsewhere = cpu0 && cpu1 && w1.t > 0
      ? Math.max(0, (cpu1.busy - cpu0.busy - (sensorCpu1 - sensorCpu0) - replayCpu - helperCpu) / last.t)
      : null;
    const perMinute: ReplayResult['memory']['perMinute'] = [];
    for (let m = 0; m <= Math.floor((w1.t + 0.5) / 60); m++) {
      const s = samples.filter((x) => x.t <= m * 60 + 0.5).at(-1);
      if (s && (perMinute.length === 0 || perMinute.at(-1)!.minute !== m)) {
        perMinute.push({ minute: m, rssKiB: s.rssKiB, hwmKiB: s.hwmKiB, writeMB: s.writeBytes / 1e6, dbMB: s.dbBytes / 1e6, walMB: s.walBytes / 1e6 });
      }
    }
    const writeMBPerHour = windowWrite * perHour;
    const result: ReplayResult = {
      date: new Date().toISOString(),
      command: `node dist/bench/replay.js --minutes ${o.minutes} --pps ${o.pps} --pcap ${o.pcap} --warmup ${o.warmupSeconds}`,
      options: { minutes: o.minutes, pps: o.pps, pcap: o.pcap, warmupSeconds: o.warmupSeconds, settleSeconds: o.settleSeconds, nodeArgs: o.nodeArgs },
      machine: { loadBefore, loadAfter, busyElsewhereCores: busyElsewhere },
      replay: replayFig,
      sensor: {
        exitCode: exit.code,
        exitSignal: exit.signal,
        packets: sensorPackets,
        flows: st ? Number(st[2]) : lastStatus?.flows ?? null,
        devices: st ? Number(st[3]) : lastStatus?.devices ?? null,
        alerts: st ? Number(st[4]) : lastStatus?.alerts ?? null,
        captureDrops: lastStatus?.captureDrops ?? null,
        interfaceRx: last.rxPackets,
        interfaceRxDropped: last.rxDropped,
        packetsMissed: sensorPackets !== null ? last.rxPackets - sensorPackets : null,
        cpuCores: last.t > 0 ? (sensorCpu1 - sensorCpu0) / last.t : 0,
        status,
        stderrTail: tail.slice(-15),
        alertCodes,
      },
      memory: {
        peakRssKiB,
        rssAtWarmupKiB: w0.rssKiB,
        rssAtEndKiB: w1.rssKiB,
        helperPeakRssKiB: helperPeak,
        perMinute,
      },
      disk: {
        windowSeconds,
        windowWriteBytes: windowWrite,
        windowCancelledBytes: windowCancelled,
        windowWchar,
        writeMBPerHour,
        netWriteMBPerHour: (windowWrite - windowCancelled) * perHour,
        wcharMBPerHour: windowWchar * perHour,
        totalWriteBytes: last.writeBytes,
        totalWchar: last.wchar,
        totalWriteMBPerHour: last.t > 0 ? (last.writeBytes * 3600) / last.t / 1e6 : 0,
        peakDbBytes: Math.max(...samples.map((s) => s.dbBytes)),
        peakWalBytes: Math.max(...samples.map((s) => s.walBytes)),
        finalDbBytes: sizeOf(db),
        finalWalBytes: sizeOf(db + '-wal'),
      },
      rows: rows && { ...rows, flowsNotKept: st ? Number(st[2]) - rows.flows : null },
      checks: [],
      samples,
    };
    result.checks = replayChecks(result);
    if (o.keep) log(`kept ${dir} (database, for inspection)`);
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

/** Row counts of the database the sensor left, read after it exited. */
function readRows(path: string): Omit<NonNullable<ReplayResult['rows']>, 'flowsNotKept'> | null {
  if (!existsSync(path)) return null;
  const d = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const n = (sql: string) => Number((d.prepare(sql).get() as { n: number | null }).n ?? 0);
    return {
      flows: n('SELECT count(*) AS n FROM flows'),
      dns: n('SELECT count(*) AS n FROM dns'),
      devices: n('SELECT count(*) AS n FROM devices'),
      alerts: n('SELECT count(*) AS n FROM alerts'),
      baselineItems: n('SELECT count(*) AS n FROM baseline_items'),
      hourlyRows: n('SELECT count(*) AS n FROM hourly'),
      hourlyFlows: n('SELECT sum(flows) AS n FROM hourly'),
    };
  } finally {
    d.close();
  }
}

export function replayChecks(r: ReplayResult): ReplayResult['checks'] {
  const mb = (kib: number) => (kib * 1024) / 1e6;
  const peak = mb(r.memory.peakRssKiB);
  const out = [
    {
      target: `peak RSS of vigil run over the replay < ${SENSOR_TARGETS.peakRssMB} MB`,
      measured: `${peak.toFixed(0)} MB (${(r.memory.peakRssKiB / 1024).toFixed(0)} MiB)`,
      met: peak < SENSOR_TARGETS.peakRssMB,
    },
    {
      target: `bytes written to disk ≤ ${SENSOR_TARGETS.diskMBPerHour} MB/hour at ${r.options.pps.toLocaleString('en-US')} packets/s`,
      measured: `${r.disk.writeMBPerHour.toFixed(1)} MB/hour (write_bytes, steady window)`,
      met: r.disk.writeMBPerHour <= SENSOR_TARGETS.diskMBPerHour,
    },
  ];
  // A bench that did not replay at the rate asked, or whose sensor lost packets, says so.
  out.push({
    target: `replayed at the rate asked (within 2 % of ${r.options.pps.toLocaleString('en-US')} packets/s)`,
    measured: `${Math.round(r.replay.pps).toLocaleString('en-US')} packets/s`,
    met: Math.abs(r.replay.pps - r.options.pps) <= 0.02 * r.options.pps,
  });
  out.push({
    target: 'the sensor counted every packet the interface received (no capture loss)',
    measured: r.sensor.packetsMissed === null ? 'unknown (no "stopped" line)' : `${int(r.sensor.packetsMissed)} missed (${((100 * r.sensor.packetsMissed) / Math.max(1, r.sensor.interfaceRx)).toFixed(2)} %), kernel drops ${r.sensor.captureDrops === null ? '?' : int(r.sensor.captureDrops)}`,
    met: r.sensor.packetsMissed === 0,
  });
  return out;
}

// ---- report ----------------------------------------------------------------------------------

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const mib = (kib: number) => (kib / 1024).toFixed(0);

export function formatReplay(r: ReplayResult): string {
  const L: string[] = [];
  const s = r.sensor;
  L.push(`live sensor: ${r.options.minutes} min of ${r.options.pcap.split('/').pop()} at ${int(r.options.pps)} packets/s (load average before ${r.machine.loadBefore}, after ${r.machine.loadAfter}; ${r.machine.busyElsewhereCores?.toFixed(2) ?? '?'} cores busy elsewhere)`);
  L.push(`  replay: ${int(r.replay.packetsSent)} packets in ${r.replay.seconds.toFixed(1)} s = ${int(r.replay.pps)} packets/s, ${int(r.replay.failed)} failed`);
  const n = (x: number | null) => (x === null ? '?' : int(x));
  L.push(`  sensor: ${n(s.packets)} packets counted of ${int(s.interfaceRx)} received on the interface (${n(s.packetsMissed)} missed; capture drops ${n(s.captureDrops)}); ${n(s.flows)} flows, ${n(s.devices)} devices, ${n(s.alerts)} alerts; ${(100 * s.cpuCores).toFixed(0)} % of a core; exit ${s.exitCode ?? s.exitSignal}`);
  L.push(`  memory: peak RSS ${mib(r.memory.peakRssKiB)} MiB; RSS ${mib(r.memory.rssAtWarmupKiB)} MiB after the warm-up, ${mib(r.memory.rssAtEndKiB)} MiB at the end; tcpdump ${mib(r.memory.helperPeakRssKiB)} MiB`);
  const d = r.disk;
  L.push(`  disk: ${(d.windowWriteBytes / 1e6).toFixed(1)} MB write_bytes in ${d.windowSeconds.toFixed(0)} s after a ${r.options.warmupSeconds} s warm-up = ${d.writeMBPerHour.toFixed(1)} MB/hour` +
    ` (net of cancelled ${d.netWriteMBPerHour.toFixed(1)}, wchar ${d.wcharMBPerHour.toFixed(1)} MB/hour); whole run incl. warm-up ${(d.totalWriteBytes / 1e6).toFixed(1)} MB = ${d.totalWriteMBPerHour.toFixed(1)} MB/hour`);
  L.push(`  files: database ${(d.finalDbBytes / 1e6).toFixed(1)} MB after exit (largest WAL ${(d.peakWalBytes / 1e6).toFixed(1)} MB while running)`);
  if (r.rows) {
    L.push(`  rows: ${int(r.rows.flows)} flow rows kept of ${n(s.flows)} flows (${r.rows.flowsNotKept === null ? '?' : int(r.rows.flowsNotKept)} not kept; hourly totals count ${int(r.rows.hourlyFlows)}), ${int(r.rows.dns)} dns, ${int(r.rows.devices)} devices, ${int(r.rows.baselineItems)} baseline items, ${int(r.rows.alerts)} alerts`);
  }
  const codes = Object.entries(s.alertCodes);
  if (codes.length) L.push(`  alerts printed: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  L.push('  targets:');
  for (const c of r.checks) L.push(`    ${c.met ? 'met' : 'NOT'}  ${c.target}: ${c.measured}`);
  return L.join('\n');
}

/** The figures as the Markdown block of docs/PERFORMANCE.md's "Live sensor" section. */
export function replayMarkdown(r: ReplayResult, command = r.command): string {
  const L: string[] = [];
  const row = (c: (string | number)[]) => `| ${c.join(' | ')} |`;
  const s = r.sensor;
  const d = r.disk;
  L.push(`Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${command}\`${r.build ? `, Vigil at ${r.build}` : ''} (load average ${r.machine.loadBefore} before, ${r.machine.loadAfter} after; other processes kept ${r.machine.busyElsewhereCores?.toFixed(2) ?? '?'} cores busy on average).`);
  L.push('');
  L.push(row(['figure', 'value']));
  L.push(row(['---', '---:']));
  L.push(row(['replayed', `${int(r.replay.packetsSent)} packets in ${r.replay.seconds.toFixed(1)} s = **${int(r.replay.pps)} packets/s** (${int(r.replay.failed)} failed)`]));
  L.push(row(['received on the sensor\'s interface', int(s.interfaceRx)]));
  L.push(row(['counted by the sensor', s.packets === null ? '?' : int(s.packets)]));
  const n = (x: number | null) => (x === null ? '?' : int(x));
  L.push(row(['missed (interface − sensor); capture (kernel) drops', `${n(s.packetsMissed)}; ${n(s.captureDrops)}`]));
  L.push(row(['flows / devices / alerts the sensor reported', `${n(s.flows)} / ${n(s.devices)} / ${n(s.alerts)}`]));
  L.push(row(['sensor CPU', `${(100 * s.cpuCores).toFixed(0)} % of one core`]));
  L.push(row(['**peak RSS of `vigil run`** (VmHWM)', `**${mib(r.memory.peakRssKiB)} MiB** (${((r.memory.peakRssKiB * 1024) / 1e6).toFixed(0)} MB)`]));
  L.push(row(['RSS after the warm-up → at the end of the replay', `${mib(r.memory.rssAtWarmupKiB)} → ${mib(r.memory.rssAtEndKiB)} MiB`]));
  L.push(row(['capture helper (tcpdump) peak RSS', `${mib(r.memory.helperPeakRssKiB)} MiB`]));
  L.push(row(['**written per hour** (write_bytes, steady window)', `**${d.writeMBPerHour.toFixed(1)} MB/hour** (${(d.windowWriteBytes / 1e6).toFixed(1)} MB in ${d.windowSeconds.toFixed(0)} s)`]));
  L.push(row(['same, net of cancelled writes / wchar', `${d.netWriteMBPerHour.toFixed(1)} / ${d.wcharMBPerHour.toFixed(1)} MB/hour`]));
  L.push(row(['whole run, warm-up included', `${(d.totalWriteBytes / 1e6).toFixed(1)} MB = ${d.totalWriteMBPerHour.toFixed(1)} MB/hour`]));
  L.push(row(['database after exit; largest WAL while running', `${(d.finalDbBytes / 1e6).toFixed(1)} MB; ${(d.peakWalBytes / 1e6).toFixed(1)} MB`]));
  if (r.rows) {
    L.push(row(['flow rows kept / not kept (row budget)', `${int(r.rows.flows)} / ${r.rows.flowsNotKept === null ? '?' : int(r.rows.flowsNotKept)}`]));
    L.push(row(['flows counted in the hourly per-device totals', int(r.rows.hourlyFlows)]));
    L.push(row(['dns rows, devices, baseline items, alerts in the file', `${int(r.rows.dns)}, ${int(r.rows.devices)}, ${int(r.rows.baselineItems)}, ${int(r.rows.alerts)}`]));
  }
  L.push('');
  L.push('By minute of the replay (sampled from `/proc/PID/status` and `/proc/PID/io` of the sensor):');
  L.push('');
  L.push(row(['minute', 'RSS MiB', 'peak RSS MiB', 'write_bytes MB (cumulative)', 'database MB', 'WAL MB']));
  L.push(row(['---:', '---:', '---:', '---:', '---:', '---:']));
  for (const m of r.memory.perMinute) L.push(row([m.minute, mib(m.rssKiB), mib(m.hwmKiB), m.writeMB.toFixed(1), m.dbMB.toFixed(1), m.walMB.toFixed(1)]));
  L.push('');
  L.push('**Targets**');
  L.push('');
  L.push(row(['target', 'measured', 'met?']));
  L.push(row(['---', '---', '---']));
  for (const c of r.checks) L.push(row([c.target, c.measured, c.met ? 'yes' : '**no**']));
  L.push('');
  return L.join('\n');
}

export const REPLAY_DOC_BEGIN = '<!-- sensor-replay:begin (generated by node dist/bench/replay.js --update-doc or npm run bench -- --tools sensor --update-doc) -->';
export const REPLAY_DOC_END = '<!-- sensor-replay:end -->';

/** Rewrites the block between `begin` and `end` in docs/PERFORMANCE.md; false when the markers are missing. */
export function updateDocBlock(begin: string, end: string, md: string, doc = join(ROOT, 'docs', 'PERFORMANCE.md')): boolean {
  const text = readFileSync(doc, 'utf8');
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return false;
  writeFileSync(doc, text.slice(0, a + begin.length) + '\n' + md + text.slice(b));
  return true;
}

/**
 * Copies the compiled engine (dist/src and package.json, with node_modules linked) to a scratch
 * directory and returns its main.js: a rebuild by someone else during a 10-minute run must not
 * change the code under measurement. The caller removes `dir`.
 */
export function snapshotVigil(): { dir: string; vigil: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sensor-build-'));
  cpSync(join(ROOT, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  // Dependencies (better-sqlite3, yaml, the enrichment data packages) resolve through node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, vigil: join(dir, 'dist', 'src', 'cli', 'main.js') };
}

/** The commit checked out and when dist/src was built (its newest file). */
function buildInfo(): string {
  const g = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'dist', 'src'));
  const commit = g.status === 0 ? g.stdout.trim() : 'unknown';
  return `commit \`${commit}\` plus the working tree (build of ${new Date(newest).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

// ---- command line ----------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      pps: { type: 'string' },
      pcap: { type: 'string' },
      warmup: { type: 'string' },
      keep: { type: 'boolean' },
      'node-args': { type: 'string' },
      json: { type: 'boolean' },
      save: { type: 'string' },
      markdown: { type: 'boolean' },
      'update-doc': { type: 'boolean' },
      from: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: node dist/bench/replay.js [--minutes 10] [--pps 20000] [--pcap FILE] [--warmup 60] [--keep] [--node-args=OPTS]\n' +
        '                                 [--json] [--save FILE] [--markdown] [--update-doc] [--from FILE]\n' +
        'Replays the capture into a veth pair in two network namespaces with tcpreplay and measures the real\n' +
        '`vigil run` capturing it: peak RSS, bytes written per hour, packets counted and dropped, rows kept.\n' +
        'Needs root, tcpreplay, tcpdump, iproute2. --from renders a result saved with --save.\n',
    );
    return 0;
  }
  const num = (s: string | undefined, name: string): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new ReplayUsageError(`--${name} must be a positive number`);
    return n;
  };
  let r: ReplayResult;
  if (values.from) {
    r = JSON.parse(readFileSync(values.from, 'utf8')) as ReplayResult;
  } else {
    const partial: Partial<ReplayOptions> = {};
    const minutes = num(values.minutes, 'minutes');
    const pps = num(values.pps, 'pps');
    const warmup = num(values.warmup, 'warmup');
    if (minutes !== undefined) partial.minutes = minutes;
    if (pps !== undefined) partial.pps = Math.round(pps);
    if (warmup !== undefined) partial.warmupSeconds = warmup;
    if (values.pcap) partial.pcap = resolve(values.pcap);
    if (values.keep) partial.keep = true;
    if (values['node-args']) partial.nodeArgs = values['node-args'].split(/\s+/).filter(Boolean);
    const snap = snapshotVigil();
    try {
      r = await benchReplay({ ...partial, vigil: snap.vigil });
    } finally {
      rmSync(snap.dir, { recursive: true, force: true });
    }
    const shown = argv.filter((a, i) => !['--json', '--markdown', '--update-doc', '--save', '--keep'].includes(a) && argv[i - 1] !== '--save');
    r.build = buildInfo();
    r.command = `node dist/bench/replay.js ${shown.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`.trim();
  }
  if (values.save) writeFileSync(values.save, JSON.stringify(r, null, 2) + '\n');
  process.stdout.write((values.json ? JSON.stringify(r, null, 2) : formatReplay(r)) + '\n');
  if (values.markdown) process.stdout.write('\n' + replayMarkdown(r));
  if (values['update-doc']) {
    if (!updateDocBlock(REPLAY_DOC_BEGIN, REPLAY_DOC_END, replayMarkdown(r))) {
      process.stderr.write('replay: docs/PERFORMANCE.md has no sensor-replay markers; not updated.\n');
      return 1;
    }
    process.stderr.write('replay: updated docs/PERFORMANCE.md\n');
  }
  return r.checks.slice(0, 2).every((c) => c.met) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`replay: ${e instanceof ReplayUsageError ? e.message : (e as Error).stack ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

