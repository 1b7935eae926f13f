/**
 * `npm run bench`: times Vigil against its own framing loop and two peers (tshark field
 * extraction, tcpdump) on the shared benchmark captures, in one run on one machine, and checks
 * memory on a capture with more than a million distinct flows. docs/PERFORMANCE.md explains the
 * output and holds the latest figures.
 *
 * Issue 3 added two parts: `store` (bench/store.ts: flows written per second through the batching
 * writer, and bytes written per hour at the flow rate of a 20,000 packets/s replay) and `sensor`
 * (bench/replay.ts: the real `vigil run` fed by tcpreplay in network namespaces for 10 minutes:
 * peak RSS, bytes written per hour, capture drops).
 *
 * Usage: node dist/bench/run.js [--small-only] [--runs N] [--large-runs N] [--tools a,b,...]
 *                               [--flows N] [--profile] [--wait-quiet S] [--json] [--save FILE]
 *                               [--sensor-minutes M] [--sensor-pps N] [--store-seconds S]
 *                               [--markdown] [--update-doc] [--from FILE]   (--help for details)
 * Environment: BENCH_DIR (inputs and scratch, default /tmp/vigil-bench); BENCH_GNU_TIME (default /usr/bin/time);
 *              BENCH_MAKE_INPUTS (default ../shared/bench/make-inputs.sh beside the repository).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_FLOWS, defaultFlowsFile, makeFlows } from './make-flows.js';
import { formatProfile, summarizeProfile, type ProfileEntry } from './profile-summary.js';
import { benchStore, formatStoreBench, type BenchStoreResult } from './store.js';
import { benchIntel, formatIntelBench, type BenchIntelResult } from './intel.js';
import { benchIntelEngine, formatIntelEngineBench, type BenchIntelEngineResult } from './intel-engine.js';
import {
  benchReplay, formatReplay, replayMarkdown, replayPrerequisites, updateDocBlock, REPLAY_DOC_BEGIN, REPLAY_DOC_END, SENSOR_TARGETS,
  type ReplayResult,
} from './replay.js';

// ---- where things are ----------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = findRoot(HERE);
// Replaced by a snapshot copy at start-up (see snapshotBuild), so a rebuild during the bench
// cannot mix two builds of the engine in one set of figures.
let VIGIL = join(ROOT, 'dist', 'src', 'cli', 'main.js');
let WALK = join(ROOT, 'dist', 'bench', 'walk.js');
const MAKE_INPUTS = process.env.BENCH_MAKE_INPUTS || resolve(ROOT, '../shared/bench/make-inputs.sh');
const BENCH_DIR = resolve(process.env.BENCH_DIR || '/tmp/vigil-bench');
const GNU_TIME = process.env.BENCH_GNU_TIME || '/usr/bin/time';

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(from, '../..');
  }
}

// ---- targets (docs/performance.md §5, the performance issue) -------------------------------

export const TARGETS = {
  logsPps: 1_000_000,
  noLogsPps: 1_500_000,
  timesTshark: 20,
  largeVsSmall: 1.1,
  rssSmallMiB: 256,
  rssLargeMiB: 320,
  rssFlowsMiB: 320,
  /** Issue 5: detectors may slow the engine by at most this share. */
  detectSlowdown: 0.25,
};
/** Reference figures (docs/performance.md §3), used only when a peer was not timed in this run. */
const REFERENCE_PPS: Record<string, number> = { 'tshark-fields': 43_500, tcpdump: 89_500 };

// ---- tools -----------------------------------------------------------------------------------

const TOOL_ORDER = ['vigil', 'vigil-nologs', 'vigil-detect', 'vigil-detect-nologs', 'walk', 'tshark-fields', 'tcpdump', 'flows', 'store', 'intel', 'sensor'] as const;
type Tool = (typeof TOOL_ORDER)[number];
/** Tools timed on each capture file; the others are runs of their own. */
const FILE_TOOLS: ReadonlySet<Tool> = new Set(['vigil', 'vigil-nologs', 'vigil-detect', 'vigil-detect-nologs', 'walk', 'tshark-fields', 'tcpdump']);
const ALIASES: Record<string, Tool[]> = {
  vigil: ['vigil'],
  'vigil-logs': ['vigil'],
  'vigil-nologs': ['vigil-nologs'],
  'no-logs': ['vigil-nologs'],
  detect: ['vigil-detect', 'vigil-detect-nologs'],
  'vigil-detect': ['vigil-detect'],
  'vigil-detect-nologs': ['vigil-detect-nologs'],
  walk: ['walk'],
  tshark: ['tshark-fields'],
  'tshark-fields': ['tshark-fields'],
  tcpdump: ['tcpdump'],
  flows: ['flows'],
  store: ['store'],
  intel: ['intel'],
  sensor: ['sensor'],
  live: ['sensor'],
  peers: ['tshark-fields', 'tcpdump'],
  engine: ['vigil', 'vigil-nologs', 'walk'],
};
const LABEL: Record<Tool, string> = {
  vigil: 'vigil (logs)',
  'vigil-nologs': 'vigil --no-logs',
  'vigil-detect': 'vigil + detectors (logs)',
  'vigil-detect-nologs': 'vigil + detectors --no-logs',
  walk: 'walk (framing)',
  'tshark-fields': 'tshark -T fields',
  tcpdump: 'tcpdump -nn -r',
  flows: 'flows',
  store: 'store (SQLite writer)',
  intel: 'intel (1 M indicators: load, memory, engine packets/s with them)',
  sensor: 'sensor (vigil run under tcpreplay)',
};
const TSHARK_FIELDS = [
  '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'ipv6.dst',
  '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name', '-e', 'tls.handshake.ja3', '-e', 'http.host',
  '-e', 'dhcp.option.hostname',
];

// ---- measurement -----------------------------------------------------------------------------

interface RunResult {
  wall: number; // seconds, clock read around the process (as peers.sh)
  gnuWall: number | null; // GNU time %e
  rssKiB: number | null;
  user: number | null;
  sys: number | null;
  stdout: string;
  /** CPU used by everything else on the machine during the run, in cores (from /proc/stat). */
  background: number | null;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat, USER_HZ = 100). */
function cpuStat(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8');
    const v = f.slice(0, f.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = v[3] + (v[4] || 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return null;
  }
}

/** Cores kept busy by other processes over `seconds` (before a run: is the machine quiet?). */
function backgroundLoad(seconds: number): number | null {
  const a = cpuStat();
  if (!a) return null;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  const b = cpuStat();
  return b ? (b.busy - a.busy) / seconds : null;
}

let waitQuietSeconds = 0;
const QUIET_CORES = 0.25;

/** With --wait-quiet S: waits up to S seconds for other processes to use under a quarter core. */
function waitQuiet(): void {
  if (waitQuietSeconds <= 0) return;
  const until = Date.now() + waitQuietSeconds * 1000;
  let told = false;
  for (;;) {
    const bg = backgroundLoad(1);
    if (bg === null || bg < QUIET_CORES) return;
    if (Date.now() > until) {
      say(`  (still ${bg.toFixed(1)} cores busy elsewhere after waiting ${waitQuietSeconds} s: measuring anyway)`);
      return;
    }
    if (!told) say(`  waiting for the machine to be quiet (${bg.toFixed(1)} cores busy elsewhere)`);
    told = true;
  }
}

export interface Measurement {
  tool: Tool;
  label: string;
  command: string;
  runs: number;
  walls: number[];
  wall: number; // median
  rssMiB: number | null; // largest over the runs
  cpu: number | null; // median user + system
  /** packets per CPU-second of the command (median user + system): less sensitive to a busy machine. */
  packetsPerCpuSec: number | null;
  /** Largest background load over the runs, in cores busy with other processes. */
  background: number | null;
  packetsPerSec: number;
  mbPerSec: number;
  nsPerPacket: number;
  timesTshark: number | null;
  timesTcpdump: number | null;
  /** vigil only: from its --json summary (last run). */
  summary?: { packets: number; seconds: number; flows: number; evicted: number; expired: number; logLines?: number; logBytes?: number };
  failed?: string;
}

let haveGnuTime = false;
function say(msg: string): void {
  process.stderr.write(msg + '\n');
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function checkGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%e %M %U %S', process.execPath, '-e', ''], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\.\d+ \d+ /.test(r.stderr.trim().split('\n').pop() ?? '');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `cmd` once under GNU time (when available); stdout captured or sent to /dev/null. */
function runOnce(cmd: string[], captureStdout: boolean, scratch: string): RunResult {
  const timeFile = join(scratch, 'time.out');
  const argv = haveGnuTime ? [GNU_TIME, '-f', '%e %M %U %S', '-o', timeFile, ...cmd] : cmd;
  waitQuiet();
  const devnull = openSync('/dev/null', 'w');
  let r: SpawnSyncReturns<string>;
  const st0 = cpuStat();
  const t0 = process.hrtime.bigint();
  try {
    r = spawnSync(argv[0], argv.slice(1), {
      stdio: ['ignore', captureStdout ? 'pipe' : devnull, 'pipe'],
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    });
  } finally {
    closeSync(devnull);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const st1 = cpuStat();
  if (r.error) throw new Error(`${cmd[0]}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${cmd.slice(0, 3).join(' ')} … exited with ${r.status ?? r.signal}: ${tail}`);
  }
  let gnuWall: number | null = null;
  let rssKiB: number | null = null;
  let user: number | null = null;
  let sys: number | null = null;
  if (haveGnuTime) {
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const [e, m, u, s] = last.split(' ').map(Number);
    gnuWall = e;
    rssKiB = m;
    user = u;
    sys = s;
  }
  // Other processes' CPU during the run: the machine's busy time minus the command's own CPU time.
  const background = st0 && st1 && user !== null && sys !== null ? Math.max(0, (st1.busy - st0.busy - user - sys) / wall) : null;
  return { wall, gnuWall, rssKiB, user, sys, stdout: r.stdout ?? '', background };
}

interface FileInfo {
  name: string;
  path: string;
  packets: number;
  fileBytes: number;
}

function commandFor(tool: Tool, file: string, logDir: string): string[] {
  switch (tool) {
    // The engine alone (issue 2's targets): decoding, flows, metadata, logs; no inventory or detectors.
    case 'vigil':
      return [process.execPath, VIGIL, 'analyze', file, '-o', logDir, '--no-detect', '--json'];
    case 'vigil-nologs':
      return [process.execPath, VIGIL, 'analyze', file, '--no-logs', '--no-detect', '--json'];
    // The same with the device inventory and every detector on (issue 5: at most 25 % slower).
    case 'vigil-detect':
      return [process.execPath, VIGIL, 'analyze', file, '-o', logDir, '--json'];
    case 'vigil-detect-nologs':
      return [process.execPath, VIGIL, 'analyze', file, '--no-logs', '--json'];
    case 'walk':
      return [process.execPath, WALK, file];
    case 'tshark-fields':
      return ['tshark', '-r', file, ...TSHARK_FIELDS];
    case 'tcpdump':
      return ['tcpdump', '-nn', '-r', file];
    default:
      throw new Error(`no command for ${tool}`);
  }
}

function displayCommand(tool: Tool, file: string): string {
  const f = file;
  switch (tool) {
    case 'vigil':
      return `node dist/src/cli/main.js analyze ${f} -o TMPDIR --no-detect --json`;
    case 'vigil-nologs':
      return `node dist/src/cli/main.js analyze ${f} --no-logs --no-detect --json`;
    case 'vigil-detect':
      return `node dist/src/cli/main.js analyze ${f} -o TMPDIR --json`;
    case 'vigil-detect-nologs':
      return `node dist/src/cli/main.js analyze ${f} --no-logs --json`;
    case 'walk':
      return `node dist/bench/walk.js ${f}`;
    case 'tshark-fields':
      return `tshark -r ${f} ${TSHARK_FIELDS.join(' ')} > /dev/null`;
    case 'tcpdump':
      return `tcpdump -nn -r ${f} > /dev/null`;
    default:
      return tool;
  }
}

function dirSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) n += statSync(join(dir, e.name)).size;
  return n;
}

interface VigilJson {
  packets: number;
  seconds: number;
  flows: number;
  counters: Record<string, number>;
  logs?: Record<string, number>;
}

function measure(tool: Tool, f: FileInfo, runs: number, scratch: string): Measurement {
  const walls: number[] = [];
  const rss: number[] = [];
  const cpu: number[] = [];
  const bg: number[] = [];
  let summary: Measurement['summary'];
  const isVigil = tool === 'vigil' || tool === 'vigil-nologs' || tool === 'vigil-detect' || tool === 'vigil-detect-nologs';
  for (let i = 0; i < runs; i++) {
    say(`  ${f.name}: ${LABEL[tool]} run ${i + 1}/${runs}`);
    const logDir = mkdtempSync(join(tmpdir(), 'vigil-bench-logs-'));
    try {
      const r = runOnce(commandFor(tool, f.path, logDir), isVigil, scratch);
      walls.push(r.wall);
      if (r.rssKiB !== null) rss.push(r.rssKiB);
      if (r.user !== null && r.sys !== null) cpu.push(r.user + r.sys);
      if (r.background !== null) bg.push(r.background);
      if (isVigil) {
        const j = JSON.parse(r.stdout) as VigilJson;
        summary = {
          packets: j.packets,
          seconds: j.seconds,
          flows: j.flows,
          evicted: j.counters['flow.evicted'] ?? 0,
          expired: j.counters['flow.expired'] ?? 0,
        };
        if (tool === 'vigil' || tool === 'vigil-detect') {
          summary.logLines = Object.values(j.logs ?? {}).reduce((a, b) => a + b, 0);
          summary.logBytes = dirSize(logDir);
        }
      }
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  }
  const wall = median(walls);
  return {
    tool,
    label: LABEL[tool],
    command: displayCommand(tool, f.name),
    runs,
    walls,
    wall,
    rssMiB: rss.length ? Math.max(...rss) / 1024 : null,
    cpu: cpu.length ? median(cpu) : null,
    packetsPerCpuSec: cpu.length ? f.packets / median(cpu) : null,
    background: bg.length ? Math.max(...bg) : null,
    packetsPerSec: f.packets / wall,
    mbPerSec: f.fileBytes / wall / 1e6,
    nsPerPacket: (wall * 1e9) / f.packets,
    timesTshark: null,
    timesTcpdump: null,
    ...(summary ? { summary } : {}),
  };
}

/**
 * Copies the compiled engine (dist/src, dist/bench, package.json for the module type) into the
 * scratch directory and runs everything from there. Returns when the build was made (newest file).
 */
function snapshotBuild(scratch: string): string {
  const snap = join(scratch, 'build');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  const built = new Date(newest(join(ROOT, 'dist', 'src'))).toISOString();
  cpSync(join(ROOT, 'dist', 'src'), join(snap, 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'bench'), join(snap, 'dist', 'bench'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(snap, 'package.json'));
  // Since issue 3 the engine imports packages (better-sqlite3, yaml, enrichment data): they resolve
  // through node_modules beside package.json, so the copy links the repository's.
  symlinkSync(join(ROOT, 'node_modules'), join(snap, 'node_modules'), 'dir');
  VIGIL = join(snap, 'dist', 'src', 'cli', 'main.js');
  WALK = join(snap, 'dist', 'bench', 'walk.js');
  return built;
}

// ---- inputs ----------------------------------------------------------------------------------

function ensureInputs(smallOnly: boolean): void {
  const small = join(BENCH_DIR, 'bench-small.pcap');
  const large = join(BENCH_DIR, 'bench-large.pcap');
  if (existsSync(small) && (smallOnly || existsSync(large))) return;
  const missing = ['capinfos', 'editcap', 'mergecap', 'cc'].filter((t) => !has(t));
  if (missing.length) {
    throw new UsageError(
      `Building the benchmark captures needs capinfos, editcap, mergecap (Debian package wireshark-common) and gcc, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: run scripts/setup.sh, then npm run bench again.`,
    );
  }
  if (!existsSync(MAKE_INPUTS)) {
    throw new UsageError(`Cannot find ${MAKE_INPUTS} (the shared bench scripts beside this repository); check out ../shared or set BENCH_MAKE_INPUTS.`);
  }
  say(`building the benchmark captures in ${BENCH_DIR} with ${MAKE_INPUTS}${smallOnly ? ' (small only)' : ' (a few minutes)'}`);
  const r = spawnSync(MAKE_INPUTS, [], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, BENCH_DIR, ...(smallOnly ? { BENCH_SKIP_LARGE: '1' } : {}) },
  });
  if (r.status !== 0) throw new Error(`make-inputs.sh failed (exit ${r.status ?? r.signal})`);
}

function manifestPackets(): Map<string, number> {
  const m = new Map<string, number>();
  const f = join(BENCH_DIR, 'manifest.txt');
  if (!existsSync(f)) return m;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const x = /^(\S+\.pcap) packets=(\d+)/.exec(line);
    if (x) m.set(x[1], Number(x[2]));
  }
  return m;
}

function fileInfo(name: string, manifest: Map<string, number>): FileInfo {
  const path = join(BENCH_DIR, name);
  let packets = manifest.get(name) ?? 0;
  if (!packets) {
    // No manifest entry: count the records with the framing loop.
    const r = spawnSync(process.execPath, [WALK, path, '--json'], { encoding: 'utf8' });
    packets = (JSON.parse(r.stdout) as { packets: number }).packets;
  }
  return { name, path, packets, fileBytes: statSync(path).size };
}

function warm(path: string): void {
  spawnSync('cat', [path], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// ---- machine ---------------------------------------------------------------------------------

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  tshark: string | null;
  tcpdump: string | null;
  vigilCommit: string | null;
  /** Modification time of the newest file of the compiled engine that was timed. */
  vigilBuilt?: string;
}

function firstLine(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return ((r.stdout || r.stderr).trim().split('\n')[0] ?? '').trim() || null;
}

function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpu,
    cores: cpus().length,
    memGiB: totalmem() / 2 ** 30,
    kernel: release(),
    node: process.version,
    tshark: firstLine('tshark', ['--version'])?.replace(/\.$/, '') ?? null,
    tcpdump: firstLine('tcpdump', ['--version']),
    vigilCommit: firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
  };
}

// ---- flows check -----------------------------------------------------------------------------

export interface FlowsResult {
  file: string;
  distinctFlows: number;
  maxFlows: number;
  logs: boolean;
  wall: number;
  packetsPerSec: number;
  rssMiB: number | null;
  flows: number;
  evicted: number;
  expired: number;
  logLines?: number;
  logBytes?: number;
  command: string;
  cpu: number | null;
  background: number | null;
}

function flowsCheck(n: number, scratch: string): FlowsResult[] {
  const file = defaultFlowsFile(BENCH_DIR, n);
  if (!existsSync(file)) {
    say(`writing ${file} (${n.toLocaleString('en-US')} distinct TCP flows)`);
    makeFlows(file, { ...DEFAULT_FLOWS, flows: n });
  }
  warm(file);
  const out: FlowsResult[] = [];
  for (const logs of [false, true]) {
    const logDir = mkdtempSync(join(tmpdir(), 'vigil-bench-logs-'));
    try {
      say(`  ${file.split('/').pop()}: vigil ${logs ? 'with logs' : '--no-logs'} --max-flows 262144`);
      const args = [VIGIL, 'analyze', file, ...(logs ? ['-o', logDir] : ['--no-logs']), '--no-detect', '--json', '--max-flows', '262144'];
      const r = runOnce([process.execPath, ...args], true, scratch);
      const j = JSON.parse(r.stdout) as VigilJson;
      out.push({
        file: file.split('/').pop() ?? file,
        distinctFlows: n,
        maxFlows: 262144,
        logs,
        wall: r.wall,
        packetsPerSec: j.packets / r.wall,
        rssMiB: r.rssKiB !== null ? r.rssKiB / 1024 : null,
        flows: j.flows,
        evicted: j.counters['flow.evicted'] ?? 0,
        expired: j.counters['flow.expired'] ?? 0,
        ...(logs ? { logLines: Object.values(j.logs ?? {}).reduce((a, b) => a + b, 0), logBytes: dirSize(logDir) } : {}),
        command: `node dist/src/cli/main.js analyze ${file.split('/').pop()} ${logs ? '-o TMPDIR' : '--no-logs'} --no-detect --json --max-flows 262144`,
        cpu: r.user !== null && r.sys !== null ? r.user + r.sys : null,
        background: r.background,
      });
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  }
  return out;
}

// ---- profile ---------------------------------------------------------------------------------

type Profile = { totalMs: number; entries: ProfileEntry[] };

function profile(f: FileInfo, scratch: string, logs: boolean): Profile {
  const dir = join(scratch, logs ? 'prof-logs' : 'prof');
  const logDir = join(scratch, 'prof-out');
  say(`  ${f.name}: vigil ${logs ? 'with logs' : '--no-logs'} under --cpu-prof`);
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, VIGIL, 'analyze', f.path, ...(logs ? ['-o', logDir] : ['--no-logs']), '--no-detect', '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  rmSync(logDir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('profiled run failed');
  const file = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  return summarizeProfile(join(dir, file), 15);
}

// ---- report ----------------------------------------------------------------------------------

const int = (x: number) => Math.round(x).toLocaleString('en-US');
function rate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}
const fx = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));

interface FileReport {
  file: FileInfo;
  results: Measurement[];
  /** Where the tshark / tcpdump rates used for the ratios came from. */
  tsharkSource: 'measured' | 'reference' | null;
  tcpdumpSource: 'measured' | 'reference' | null;
}

function addRatios(rep: FileReport, small: boolean): void {
  const get = (t: Tool) => rep.results.find((m) => m.tool === t && !m.failed);
  const ts = get('tshark-fields');
  const td = get('tcpdump');
  // The reference figures were measured on bench-small only.
  const tsPps = ts ? ts.packetsPerSec : small ? REFERENCE_PPS['tshark-fields'] : null;
  const tdPps = td ? td.packetsPerSec : small ? REFERENCE_PPS.tcpdump : null;
  rep.tsharkSource = ts ? 'measured' : tsPps ? 'reference' : null;
  rep.tcpdumpSource = td ? 'measured' : tdPps ? 'reference' : null;
  for (const m of rep.results) {
    m.timesTshark = tsPps ? m.packetsPerSec / tsPps : null;
    m.timesTcpdump = tdPps ? m.packetsPerSec / tdPps : null;
  }
}

function table(rep: FileReport): string {
  const f = rep.file;
  const lines: string[] = [];
  const runsDesc = [...new Set(rep.results.map((m) => m.runs))].join('/');
  lines.push(`${f.name}: ${int(f.packets)} packets, ${(f.fileBytes / 1e6).toFixed(1)} MB, median of ${runsDesc} run(s)`);
  const hdr = ['tool', 'packets/s', 'MB/s', 'peak RSS MiB', 'wall s', 'ns/packet', '× tshark-fields', '× tcpdump', 'pkt/CPU-s', 'busy elsewhere'];
  const rows = rep.results.map((m) =>
    m.failed
      ? [m.label, 'failed', '', '', '', '', '', '', '', '']
      : [m.label, rate(m.packetsPerSec), m.mbPerSec.toFixed(1), fx(m.rssMiB), m.wall.toFixed(2), int(m.nsPerPacket), fx(m.timesTshark, 1), fx(m.timesTcpdump, 1),
        m.packetsPerCpuSec === null ? '-' : rate(m.packetsPerCpuSec), m.background === null ? '-' : `${m.background.toFixed(2)} cores`],
  );
  const w = hdr.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  lines.push(fmt(hdr));
  for (const r of rows) lines.push(fmt(r));
  const busiest = Math.max(0, ...rep.results.map((m) => m.background ?? 0));
  if (busiest >= QUIET_CORES) {
    lines.push(`WARNING: other processes kept up to ${busiest.toFixed(1)} cores busy during the runs: wall-clock figures are pessimistic; compare pkt/CPU-s, or rerun on a quiet machine (--wait-quiet 600).`);
  }
  if (rep.tsharkSource === 'reference' || rep.tcpdumpSource === 'reference') {
    lines.push(`(ratios to ${[rep.tsharkSource === 'reference' ? 'tshark-fields' : '', rep.tcpdumpSource === 'reference' ? 'tcpdump' : ''].filter(Boolean).join(' and ')} use the reference figures of docs/performance.md: not timed in this run)`);
  }
  const get = (t: Tool) => rep.results.find((m) => m.tool === t && !m.failed);
  const walk = get('walk');
  for (const t of ['vigil', 'vigil-nologs', 'vigil-detect', 'vigil-detect-nologs'] as const) {
    const v = get(t);
    if (!v) continue;
    let s = `${v.label}: ${int(v.nsPerPacket)} ns/packet`;
    if (v.summary) s += ` (engine's own clock ${int((v.summary.seconds * 1e9) / f.packets)} ns/packet), ${int(v.summary.flows)} flows, ${int(v.summary.evicted)} evicted`;
    if (walk) s += `; ${(v.wall / walk.wall).toFixed(1)}× the framing loop (framing = ${((100 * walk.wall) / v.wall).toFixed(0)} % of its time)`;
    if (v.summary?.logLines !== undefined) s += `; logs ${int(v.summary.logLines)} lines, ${(v.summary.logBytes! / 1e6).toFixed(0)} MB`;
    lines.push(s);
  }
  return lines.join('\n');
}

interface Check {
  target: string;
  measured: string;
  met: boolean | null;
}

function checks(reports: FileReport[], flows: FlowsResult[], store: BenchStoreResult | null = null, sensor: ReplayResult | null = null): Check[] {
  const out: Check[] = [];
  const find = (file: string, t: Tool) => reports.find((r) => r.file.name === file)?.results.find((m) => m.tool === t && !m.failed);
  const sv = find('bench-small.pcap', 'vigil');
  const sn = find('bench-small.pcap', 'vigil-nologs');
  const lv = find('bench-large.pcap', 'vigil');
  const ln = find('bench-large.pcap', 'vigil-nologs');
  const smallRep = reports.find((r) => r.file.name === 'bench-small.pcap');
  if (sv) {
    out.push({ target: `full engine with logs ≥ ${int(TARGETS.logsPps)} packets/s (bench-small)`, measured: `${int(sv.packetsPerSec)} packets/s`, met: sv.packetsPerSec >= TARGETS.logsPps });
    if (sv.timesTshark !== null) {
      out.push({
        target: `full engine with logs ≥ ${TARGETS.timesTshark}× tshark -T fields (bench-small)`,
        measured: `${sv.timesTshark.toFixed(1)}×${smallRep?.tsharkSource === 'reference' ? ' (reference tshark figure)' : ''}`,
        met: sv.timesTshark >= TARGETS.timesTshark,
      });
    }
  }
  if (lv) out.push({ target: `full engine with logs ≥ ${int(TARGETS.logsPps)} packets/s (bench-large)`, measured: `${int(lv.packetsPerSec)} packets/s`, met: lv.packetsPerSec >= TARGETS.logsPps });
  if (sn) out.push({ target: `without logs ≥ ${int(TARGETS.noLogsPps)} packets/s (bench-small)`, measured: `${int(sn.packetsPerSec)} packets/s`, met: sn.packetsPerSec >= TARGETS.noLogsPps });
  if (ln) out.push({ target: `without logs ≥ ${int(TARGETS.noLogsPps)} packets/s (bench-large)`, measured: `${int(ln.packetsPerSec)} packets/s`, met: ln.packetsPerSec >= TARGETS.noLogsPps });
  for (const [s, l, what] of [[sv, lv, 'with logs'], [sn, ln, 'without logs']] as const) {
    if (s && l) {
      const r = l.nsPerPacket / s.nsPerPacket;
      out.push({ target: `large within 10 % of small per packet (${what})`, measured: `${r.toFixed(2)} (large ${int(l.nsPerPacket)} ns vs small ${int(s.nsPerPacket)} ns)`, met: r <= TARGETS.largeVsSmall });
    }
  }
  // Issue 5: the detectors (with the device inventory they need) cost at most 25 % of the engine's rate.
  for (const [file, base, det, what] of [
    ['bench-small.pcap', sv, find('bench-small.pcap', 'vigil-detect'), 'with logs'],
    ['bench-small.pcap', sn, find('bench-small.pcap', 'vigil-detect-nologs'), 'without logs'],
  ] as const) {
    if (!base || !det) continue;
    const slower = 1 - det.packetsPerSec / base.packetsPerSec;
    out.push({
      target: `all detectors on: ≤ ${(TARGETS.detectSlowdown * 100).toFixed(0)} % below the engine alone (${file}, ${what})`,
      measured: `${int(det.packetsPerSec)} vs ${int(base.packetsPerSec)} packets/s: ${(slower * 100).toFixed(1)} % below`,
      met: slower <= TARGETS.detectSlowdown,
    });
  }
  const rssCheck = (m: Measurement | undefined, limit: number, what: string) => {
    if (m && m.rssMiB !== null) out.push({ target: `peak RSS ≤ ${limit} MiB, ${what}`, measured: `${m.rssMiB.toFixed(0)} MiB`, met: m.rssMiB <= limit });
  };
  rssCheck(sv, TARGETS.rssSmallMiB, 'bench-small with logs');
  rssCheck(sn, TARGETS.rssSmallMiB, 'bench-small without logs');
  rssCheck(lv, TARGETS.rssLargeMiB, 'bench-large with logs');
  rssCheck(ln, TARGETS.rssLargeMiB, 'bench-large without logs');
  for (const f of flows) {
    if (f.rssMiB !== null) {
      out.push({
        target: `peak RSS ≤ ${TARGETS.rssFlowsMiB} MiB, ${int(f.distinctFlows)}-flow capture ${f.logs ? 'with logs' : 'without logs'}`,
        measured: `${f.rssMiB.toFixed(0)} MiB`,
        met: f.rssMiB <= TARGETS.rssFlowsMiB,
      });
    }
  }
  if (store) {
    const f = store.flash;
    out.push({
      target: `store alone: bytes written ≤ ${f.targetMBPerHour} MB/hour at the flow rate of a ${int(store.source.flows ? (f.flowsPerSecond * store.source.packets) / store.source.flows : 20_000)} packets/s replay (bench/store.ts)`,
      measured: `write_bytes ${f.writeMBPerHour.toFixed(1)}, wchar ${f.wcharMBPerHour.toFixed(1)} MB/hour`,
      met: f.pass,
    });
  }
  // The sensor's own checks (peak RSS, bytes per hour, replay rate, capture loss) come from replay.ts.
  if (sensor) for (const c of sensor.checks) out.push({ target: `live sensor: ${c.target}`, measured: c.measured, met: c.met });
  return out;
}

// ---- main ------------------------------------------------------------------------------------

class UsageError extends Error {}

interface Options {
  smallOnly: boolean;
  runs: number;
  largeRuns: number;
  tools: Set<Tool>;
  flows: number;
  profile: boolean;
  json: boolean;
  markdown: boolean;
  updateDoc: boolean;
  save: string | null;
  from: string | null;
  waitQuiet: number;
  sensorMinutes: number;
  sensorPps: number;
  storeSeconds: number;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'small-only': { type: 'boolean' },
      runs: { type: 'string' },
      'large-runs': { type: 'string' },
      tools: { type: 'string' },
      flows: { type: 'string' },
      profile: { type: 'boolean' },
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      'update-doc': { type: 'boolean' },
      save: { type: 'string' },
      from: { type: 'string' },
      'wait-quiet': { type: 'string' },
      'sensor-minutes': { type: 'string' },
      'sensor-pps': { type: 'string' },
      'store-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      `Usage: npm run bench -- [--small-only] [--runs N] [--large-runs N] [--tools LIST] [--flows N] [--profile] [--json]\n` +
        `  --small-only     bench-small.pcap only (builds only it when missing)\n` +
        `  --runs N         timed runs per tool, median reported (default 3 on bench-small, 1 on bench-large)\n` +
        `  --large-runs N   runs on bench-large only (default: 1, or --runs when given; tshark always runs once there)\n` +
        `  --tools LIST     comma-separated subset of ${TOOL_ORDER.join(', ')}\n` +
        `                   (aliases: tshark, no-logs, live = sensor, peers = tshark-fields,tcpdump, engine = vigil,vigil-nologs,walk)\n` +
        `  --flows N        distinct flows in the memory-check capture (default ${int(DEFAULT_FLOWS.flows)})\n` +
        `  --profile        also profile vigil on bench-small (--no-logs, then with logs): top 15 functions by self time\n` +
        `  --json           machine-readable result on stdout (progress stays on stderr)\n` +
        `  --save FILE      also write the JSON result to FILE\n` +
        `  --markdown       also print the figures as the Markdown block of docs/PERFORMANCE.md\n` +
        `  --update-doc     rewrite that block in docs/PERFORMANCE.md (between its bench markers)\n` +
        `  --wait-quiet S   before each timed run, wait up to S seconds until other processes use < 0.25 core\n` +
        `  --from FILE      measure nothing: render a result saved with --save (with --markdown / --update-doc)\n` +
        `  --store-seconds S   wall seconds of the store's flash run (default 60; tool 'store', bench/store.ts)\n` +
        `  --sensor-minutes M  minutes of replay into the live sensor (default 10; tool 'sensor', bench/replay.ts)\n` +
        `  --sensor-pps N      packets/s of that replay (default 20000); the sensor run needs root and tcpreplay\n` +
        `Environment: BENCH_DIR (default /tmp/vigil-bench), BENCH_MAKE_INPUTS, BENCH_GNU_TIME (default /usr/bin/time).\n`,
    );
    process.exit(0);
  }
  const num = (s: string | undefined, d: number, name: string) => {
    if (s === undefined) return d;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number ≥ 1`);
    return n;
  };
  const tools = new Set<Tool>();
  if (values.tools) {
    for (const t of values.tools.split(',').map((x) => x.trim()).filter(Boolean)) {
      const a = ALIASES[t];
      if (!a) throw new UsageError(`unknown tool '${t}'; choose from ${Object.keys(ALIASES).join(', ')}`);
      for (const x of a) tools.add(x);
    }
  } else for (const t of TOOL_ORDER) tools.add(t);
  return {
    smallOnly: values['small-only'] === true,
    runs: num(values.runs, 3, 'runs'),
    // --runs applies to both files unless --large-runs says otherwise.
    largeRuns: num(values['large-runs'], values.runs !== undefined ? num(values.runs, 3, 'runs') : 1, 'large-runs'),
    tools,
    flows: num(values.flows, DEFAULT_FLOWS.flows, 'flows'),
    profile: values.profile === true,
    json: values.json === true,
    markdown: values.markdown === true,
    updateDoc: values['update-doc'] === true,
    save: values.save ?? null,
    from: values.from ?? null,
    waitQuiet: values['wait-quiet'] !== undefined ? num(values['wait-quiet'], 0, 'wait-quiet') : 0,
    sensorMinutes: num(values['sensor-minutes'], 10, 'sensor-minutes'),
    sensorPps: num(values['sensor-pps'], 20_000, 'sensor-pps'),
    storeSeconds: num(values['store-seconds'], 60, 'store-seconds'),
  };
}

async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parse(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  if (o.from) {
    const saved = JSON.parse(readFileSync(o.from, 'utf8')) as BenchResult;
    return emitMarkdown(saved, o.markdown || !o.updateDoc, o.updateDoc);
  }
  if (!existsSync(VIGIL) || !existsSync(WALK)) {
    process.stderr.write(`bench: ${VIGIL} or ${WALK} is missing: build first (npm run build).\n`);
    return 1;
  }
  haveGnuTime = checkGnuTime();
  waitQuietSeconds = o.waitQuiet;
  if (!haveGnuTime) {
    process.stderr.write(`bench: GNU time (${GNU_TIME}) is not installed, so peak RSS is not measured (wall time only); install it with: sudo apt-get install time\n`);
  }
  for (const [t, bin] of [['tshark-fields', 'tshark'], ['tcpdump', 'tcpdump']] as const) {
    if (o.tools.has(t) && !has(bin)) {
      process.stderr.write(`bench: ${bin} is not installed, skipping it (scripts/setup.sh installs it).\n`);
      o.tools.delete(t);
    }
  }
  if (o.tools.has('sensor')) {
    // The capture itself may still be built below; only what cannot be fixed here skips the run.
    const why = replayPrerequisites();
    if (why) {
      process.stderr.write(`bench: skipping the live sensor run: ${why}\n`);
      o.tools.delete('sensor');
    }
  }
  const started = Date.now();
  const mach = machine();
  say(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memGiB.toFixed(0)} GiB, Node ${mach.node}`);
  const needCaptures = [...o.tools].some((t) => FILE_TOOLS.has(t)) || o.profile;
  const scratch = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  mach.vigilBuilt = snapshotBuild(scratch);
  const reports: FileReport[] = [];
  let flows: FlowsResult[] = [];
  let prof: Profile | null = null;
  let profLogs: Profile | null = null;
  let store: BenchStoreResult | null = null;
  let intel: { load: BenchIntelResult; engine: BenchIntelEngineResult } | null = null;
  let sensor: ReplayResult | null = null;
  try {
    if (needCaptures) ensureInputs(o.smallOnly);
    // The store takes its flow rate from bench-small; the sensor replays it.
    else if (o.tools.has('store') || o.tools.has('sensor') || o.tools.has('intel')) ensureInputs(true);
    const manifest = manifestPackets();
    const files = needCaptures ? (o.smallOnly ? ['bench-small.pcap'] : ['bench-small.pcap', 'bench-large.pcap']) : [];
    for (const name of files) {
      const f = fileInfo(name, manifest);
      const small = name === 'bench-small.pcap';
      say(`${name}: warming the page cache`);
      warm(f.path);
      const rep: FileReport = { file: f, results: [], tsharkSource: null, tcpdumpSource: null };
      for (const t of TOOL_ORDER) {
        if (!FILE_TOOLS.has(t) || !o.tools.has(t)) continue;
        const runs = small ? o.runs : t === 'tshark-fields' ? 1 : o.largeRuns;
        try {
          rep.results.push(measure(t, f, runs, scratch));
        } catch (e) {
          process.stderr.write(`bench: ${LABEL[t]} on ${name} failed: ${(e as Error).message}\n`);
          rep.results.push({
            tool: t, label: LABEL[t], command: displayCommand(t, name), runs, walls: [], wall: NaN, rssMiB: null, cpu: null, packetsPerCpuSec: null, background: null,
            packetsPerSec: NaN, mbPerSec: NaN, nsPerPacket: NaN, timesTshark: null, timesTcpdump: null, failed: (e as Error).message,
          });
        }
        const v = rep.results.at(-1);
        if (v?.summary && v.summary.packets !== f.packets) {
          process.stderr.write(`bench: warning: vigil counted ${v.summary.packets} packets in ${name}, the manifest says ${f.packets}\n`);
        }
      }
      addRatios(rep, small);
      reports.push(rep);
      if (!o.json) process.stdout.write('\n' + table(rep) + '\n');
      if (small && o.profile) {
        prof = profile(f, scratch, false);
        if (!o.json) process.stdout.write('\nvigil --no-logs ' + formatProfile(prof));
        profLogs = profile(f, scratch, true);
        if (!o.json) process.stdout.write('\nvigil with logs ' + formatProfile(profLogs));
      }
    }
    if (o.tools.has('flows')) {
      flows = flowsCheck(o.flows, scratch);
      if (!o.json) {
        process.stdout.write(`\nmemory check: ${flows[0].file}, ${int(o.flows)} distinct TCP flows (one SYN each), --max-flows 262144\n`);
        for (const r of flows) {
          process.stdout.write(
            `  ${r.logs ? 'with logs   ' : 'without logs'}  peak RSS ${fx(r.rssMiB, 0)} MiB, ${r.wall.toFixed(2)} s (${int(r.packetsPerSec)} packets/s; ${fx(r.cpu, 2)} CPU-s; ${fx(r.background, 2)} cores busy elsewhere), ` +
              `${int(r.flows)} flows, ${int(r.evicted)} evicted, ${int(r.expired)} expired` +
              (r.logLines !== undefined ? `, logs ${int(r.logLines)} lines, ${(r.logBytes! / 1e6).toFixed(0)} MB` : '') + '\n',
          );
        }
      }
    }
    const small = join(BENCH_DIR, 'bench-small.pcap');
    if (o.tools.has('store')) {
      say(`store: throughput, then ${o.storeSeconds} s at the flow rate of ${int(o.sensorPps)} packets/s of bench-small (bench/store.ts)`);
      waitQuiet();
      store = await benchStore({ capture: small, pps: o.sensorPps, seconds: o.storeSeconds, log: (l) => say(`  ${l}`) });
      if (!o.json) process.stdout.write('\nstore (bench/store.ts):\n' + formatStoreBench(store).replace(/^/gm, '  ') + '\n');
    }
    if (o.tools.has('intel')) {
      // Issue 4: 1 M mixed indicators load in < 5 s and < 150 MB; the engine with them loaded and
      // matched is at most 10 % slower (bench/intel.ts, bench/intel-engine.ts).
      say('intel: 1,000,000 generated indicators: parse + build time, memory, lookups (bench/intel.ts)');
      waitQuiet();
      const load = await benchIntel({});
      if (!o.json) process.stdout.write('\nintel (bench/intel.ts):\n' + formatIntelBench(load).replace(/^/gm, '  ') + '\n');
      say('intel: bench-small through the engine without and with the matcher and 1 M indicators (bench/intel-engine.ts)');
      waitQuiet();
      const engine = await benchIntelEngine({ pcap: small });
      if (!o.json) process.stdout.write('\nintel engine (bench/intel-engine.ts):\n' + formatIntelEngineBench(engine).replace(/^/gm, '  ') + '\n');
      intel = { load, engine };
    }
    if (o.tools.has('sensor')) {
      say(`sensor: ${o.sensorMinutes} min of bench-small at ${int(o.sensorPps)} packets/s into vigil run (bench/replay.ts)`);
      waitQuiet();
      sensor = await benchReplay({ minutes: o.sensorMinutes, pps: o.sensorPps, pcap: small, vigil: VIGIL, log: (l) => say(`  ${l}`) });
      sensor.command = `npm run bench -- ${argv.filter((x, i) => !['--update-doc', '--markdown', '--json', '--save'].includes(x) && argv[i - 1] !== '--save').join(' ')}`;
      if (!o.json) process.stdout.write('\n' + formatReplay(sensor) + '\n');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const large = reports.find((r) => r.file.name === 'bench-large.pcap');
  const small = reports.find((r) => r.file.name === 'bench-small.pcap');
  const perPacket: Record<string, number> = {};
  if (small && large) {
    for (const m of large.results) {
      const s = small.results.find((x) => x.tool === m.tool);
      if (s && !s.failed && !m.failed) perPacket[m.tool] = m.nsPerPacket / s.nsPerPacket;
    }
  }
  const cks = checks(reports, flows, store, sensor);
  const minutes = (Date.now() - started) / 60000;
  const result: BenchResult = {
    date: new Date().toISOString(),
    args: argv.filter((a, i) => !['--update-doc', '--markdown', '--json', '--save'].includes(a) && argv[i - 1] !== '--save'),
    machine: mach, benchDir: BENCH_DIR, gnuTime: haveGnuTime, minutes, files: reports,
    largeOverSmallPerPacket: perPacket, flows, profile: prof, profileLogs: profLogs, targets: TARGETS, checks: cks,
    store, sensor, intel,
  };
  if (o.save) writeFileSync(o.save, JSON.stringify(result, null, 2) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    if (Object.keys(perPacket).length) {
      process.stdout.write(`\nlarge/small cost per packet: ${Object.entries(perPacket).map(([t, r]) => `${LABEL[t as Tool]} ${r.toFixed(2)}`).join(', ')}\n`);
    }
    if (cks.length) {
      process.stdout.write('\ntargets:\n');
      for (const c of cks) process.stdout.write(`  ${c.met === null ? '?  ' : c.met ? 'met' : 'NOT'}  ${c.target}: ${c.measured}\n`);
    }
    process.stdout.write(
      `\nmachine: ${mach.cpu}, ${mach.cores} cores, ${mach.memGiB.toFixed(0)} GiB RAM, Linux ${mach.kernel}, Node ${mach.node}` +
        `${mach.tshark ? `, ${mach.tshark}` : ''}${mach.tcpdump ? `, ${mach.tcpdump}` : ''}${mach.vigilCommit ? `, vigil at ${mach.vigilCommit}` : ''} (build of ${mach.vigilBuilt}); bench took ${minutes.toFixed(1)} min\n`,
    );
    if (!haveGnuTime) process.stdout.write('(no GNU time: peak RSS not measured)\n');
  }
  return o.markdown || o.updateDoc ? emitMarkdown(result, o.markdown, o.updateDoc) : 0;
}

function emitMarkdown(result: BenchResult, print: boolean, update: boolean): number {
  // The engine block holds the per-file figures; the store and sensor runs have blocks of their
  // own in the "Live sensor" section, so running only one of them rewrites only its block.
  const engine = result.files.length > 0 || result.flows.length > 0 || !!result.profile;
  if (result.sensor && !result.sensor.build && result.machine.vigilCommit) {
    result.sensor.build = `commit \`${result.machine.vigilCommit}\` plus the working tree${result.machine.vigilBuilt ? ` (build of ${result.machine.vigilBuilt.slice(0, 16).replace('T', ' ')} UTC)` : ''}`;
  }
  const md = markdown(result);
  if (print) {
    if (engine) process.stdout.write('\n' + md);
    if (result.store) process.stdout.write('\n' + storeMarkdown(result.store, result));
    if (result.sensor) process.stdout.write('\n' + replayMarkdown(result.sensor));
  }
  if (update) {
    for (const [has, begin, end, text] of [
      [!!result.store, STORE_DOC_BEGIN, STORE_DOC_END, result.store ? storeMarkdown(result.store, result) : ''],
      [!!result.sensor, REPLAY_DOC_BEGIN, REPLAY_DOC_END, result.sensor ? replayMarkdown(result.sensor) : ''],
    ] as const) {
      if (!has) continue;
      if (!updateDocBlock(begin, end, text)) {
        process.stderr.write(`bench: docs/PERFORMANCE.md has no ${begin} ... ${end} block; not updated.\n`);
        return 1;
      }
    }
  }
  if (update && engine) {
    const doc = join(ROOT, 'docs', 'PERFORMANCE.md');
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf(DOC_BEGIN);
    const b = text.indexOf(DOC_END);
    if (a < 0 || b < a) {
      process.stderr.write(`bench: ${doc} has no ${DOC_BEGIN} ... ${DOC_END} block; not updated.\n`);
      return 1;
    }
    writeFileSync(doc, text.slice(0, a + DOC_BEGIN.length) + '\n' + md + text.slice(b));
    say(`updated ${doc}`);
  }
  return 0;
}

// ---- Markdown for docs/PERFORMANCE.md ---------------------------------------------------------

const DOC_BEGIN = '<!-- bench:begin (generated by npm run bench -- --update-doc; do not edit by hand) -->';
const DOC_END = '<!-- bench:end -->';
const STORE_DOC_BEGIN = '<!-- sensor-store:begin (generated by npm run bench -- --tools store --update-doc) -->';
const STORE_DOC_END = '<!-- sensor-store:end -->';

/** bench/store.ts's figures as the Markdown block of the "Live sensor" section. */
function storeMarkdown(s: BenchStoreResult, r: BenchResult): string {
  const f = s.flash;
  const t = s.throughput;
  const mdRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`npm run bench${r.args.length ? ' -- ' + r.args.join(' ') : ''}\` on ${r.machine.cpu}, ${r.machine.cores} vCPU; rows from ${s.source.capture ?? 'synthetic templates'} (${int(s.source.flows)} flows and ${int(s.source.dns)} DNS records in ${int(s.source.packets)} packets).`,
    '',
    mdRow(['figure', 'value']),
    mdRow(['---', '---:']),
    mdRow(['**flows written per second**, batching writer, no row budget', `**${int(t.rowsPerSecond)}** (${int(t.rows)} rows in ${t.seconds.toFixed(2)} s; ${t.fileBytesPerRow.toFixed(0)} file bytes per row)`]),
    mdRow(['offered at the replay rate', `${f.flowsPerSecond.toFixed(0)} flows/s + ${f.dnsPerSecond.toFixed(0)} DNS/s for ${f.seconds} s`]),
    mdRow(['kept (default row budgets)', `${int(f.flowsKept)} flows, ${int(f.dnsKept)} DNS rows in ${int(f.transactions)} commits`]),
    mdRow(['written per hour: write_bytes / wchar', `**${f.writeMBPerHour.toFixed(1)}** / ${f.wcharMBPerHour.toFixed(1)} MB/hour (target ≤ ${f.targetMBPerHour}: ${f.pass ? 'met' : '**not met**'})`]),
    '',
  ].join('\n');
}

interface BenchResult {
  date: string;
  args: string[];
  machine: Machine;
  benchDir: string;
  gnuTime: boolean;
  minutes: number;
  files: FileReport[];
  largeOverSmallPerPacket: Record<string, number>;
  flows: FlowsResult[];
  profile: Profile | null;
  profileLogs?: Profile | null;
  targets: typeof TARGETS;
  checks: Check[];
  /** Issue 3: the store bench and the live sensor run (absent in results saved before them). */
  store?: BenchStoreResult | null;
  sensor?: ReplayResult | null;
  intel?: { load: BenchIntelResult; engine: BenchIntelEngineResult } | null;
}

function markdown(r: BenchResult): string {
  const m = r.machine;
  const L: string[] = [];
  const mdRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  L.push(
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`npm run bench${r.args.length ? ' -- ' + r.args.join(' ') : ''}\` ` +
      `(${r.minutes.toFixed(0)} min) on ${m.cpu}, ${m.cores} vCPU, ${m.memGiB.toFixed(0)} GiB, Linux ${m.kernel}, Node ${m.node}` +
      `${m.tshark ? `, ${m.tshark.replace(/\.$/, '')}` : ''}${m.tcpdump ? `, ${m.tcpdump}` : ''}${m.vigilCommit ? `; Vigil at commit \`${m.vigilCommit}\` plus the working tree` : ''}${m.vigilBuilt ? ` (build of ${m.vigilBuilt.slice(0, 16).replace('T', ' ')} UTC)` : ''}.`,
  );
  L.push('');
  for (const rep of r.files) {
    const f = rep.file;
    const runs = [...new Set(rep.results.map((x) => x.runs))].join(' / ');
    L.push(`**${f.name}** (${int(f.packets)} packets, ${(f.fileBytes / 1e6).toFixed(1)} MB; median of ${runs} run(s) per tool)`);
    L.push('');
    L.push(mdRow(['tool', 'packets/s', 'MB/s', 'peak RSS MiB', 'wall s', 'ns/packet', '× tshark -T fields', '× tcpdump', 'packets per CPU-s', 'busy elsewhere (cores)']));
    L.push(mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const x of rep.results) {
      if (x.failed) {
        L.push(mdRow([x.label, 'failed', '', '', '', '', '', '', '', '']));
        continue;
      }
      const bold = x.tool === 'vigil' || x.tool === 'vigil-nologs' ? (s: string) => `**${s}**` : (s: string) => s;
      L.push(mdRow([bold(x.label), bold(int(x.packetsPerSec)), x.mbPerSec.toFixed(1), fx(x.rssMiB, 0), x.wall.toFixed(2), int(x.nsPerPacket), fx(x.timesTshark, 1), fx(x.timesTcpdump, 1),
        x.packetsPerCpuSec === null ? '-' : int(x.packetsPerCpuSec), fx(x.background, 2)]));
    }
    const busiest = Math.max(0, ...rep.results.map((x) => x.background ?? 0));
    if (busiest >= QUIET_CORES) {
      L.push('');
      L.push(`Other processes kept up to ${busiest.toFixed(1)} cores busy during some of these runs (last column): those wall-clock figures are pessimistic.`);
    }
    if (rep.tsharkSource === 'reference' || rep.tcpdumpSource === 'reference') {
      L.push('');
      L.push('Ratios marked against a peer that was not timed in this run use the reference figures of `../../shared/docs/performance.md` (tshark -T fields 43,500, tcpdump 89,500 packets/s).');
    }
    const walk = rep.results.find((x) => x.tool === 'walk' && !x.failed);
    const notes: string[] = [];
    for (const t of ['vigil', 'vigil-nologs'] as const) {
      const v = rep.results.find((x) => x.tool === t && !x.failed);
      if (!v) continue;
      let s = `${v.label}: ${int(v.nsPerPacket)} ns/packet`;
      if (walk) s += `, ${(v.wall / walk.wall).toFixed(1)}× the framing loop (framing is ${((100 * walk.wall) / v.wall).toFixed(0)} % of it)`;
      if (v.summary) s += `; ${int(v.summary.flows)} flows, ${int(v.summary.evicted)} evicted`;
      if (v.summary?.logLines !== undefined) s += `; ${int(v.summary.logLines)} log lines, ${(v.summary.logBytes! / 1e6).toFixed(0)} MB of logs`;
      notes.push(`- ${s}.`);
    }
    if (notes.length) {
      L.push('');
      L.push(...notes);
    }
    L.push('');
  }
  const pp = Object.entries(r.largeOverSmallPerPacket);
  if (pp.length) {
    L.push(`**Large vs small**, cost per packet on bench-large ÷ cost per packet on bench-small (target for Vigil ≤ ${TARGETS.largeVsSmall.toFixed(2)}): ` + pp.map(([t, x]) => `${LABEL[t as Tool]} ${x.toFixed(2)}`).join(', ') + '.');
    L.push('');
  }
  if (r.flows.length) {
    L.push(`**More than a million flows**: \`${r.flows[0].file}\`, ${int(r.flows[0].distinctFlows)} distinct TCP flows of one SYN each (\`bench/make-flows.ts\`), \`--max-flows 262144\`.`);
    L.push('');
    L.push(mdRow(['run', 'peak RSS MiB', 'wall s', 'packets/s', 'CPU s', 'flows', 'evicted at the cap', 'expired', 'log lines', 'busy elsewhere (cores)']));
    L.push(mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const x of r.flows) {
      L.push(mdRow([x.logs ? 'with logs (`-o TMPDIR`)' : '`--no-logs`', fx(x.rssMiB, 0), x.wall.toFixed(2), int(x.packetsPerSec), fx(x.cpu ?? null, 2), int(x.flows), int(x.evicted), int(x.expired), x.logLines !== undefined ? int(x.logLines) : '-', fx(x.background ?? null, 2)]));
    }
    L.push('');
  }
  if (r.checks.length) {
    L.push('**Targets**');
    L.push('');
    L.push(mdRow(['target', 'measured', 'met?']));
    L.push(mdRow(['---', '---', '---']));
    for (const c of r.checks) L.push(mdRow([c.target, c.measured, c.met === null ? '?' : c.met ? 'yes' : '**no**']));
    L.push('');
  }
  const small = r.files.find((x) => x.file.name === 'bench-small.pcap');
  const pi = small?.results.filter((x) => (x.tool === 'vigil' || x.tool === 'vigil-nologs') && !x.failed) ?? [];
  if (pi.length) {
    L.push('**Raspberry Pi: ESTIMATE, not measured.** bench-small figures above divided by 3 (Pi 5, one Cortex-A76 core) and by 7 (Pi 4, one Cortex-A72 core), the planning ratios of `../../shared/docs/performance.md`; targets for the full pipeline: Pi 5 330,000, Pi 4 140,000 packets/s.');
    L.push('');
    L.push(mdRow(['', 'this x86 core, measured', 'Pi 5, estimated', 'Pi 4, estimated']));
    L.push(mdRow(['---', '---:', '---:', '---:']));
    for (const x of pi) L.push(mdRow([x.label, int(x.packetsPerSec), `${int(x.packetsPerSec / 3)}${x.tool === 'vigil' ? (x.packetsPerSec / 3 >= 330_000 ? ' (target met)' : ' (target 330,000: not met)') : ''}`, `${int(x.packetsPerSec / 7)}${x.tool === 'vigil' ? (x.packetsPerSec / 7 >= 140_000 ? ' (target met)' : ' (target 140,000: not met)') : ''}`]));
    L.push('');
  }
  for (const [p, what] of [[r.profile, '`--no-logs`'], [r.profileLogs ?? null, 'with logs']] as const) {
    if (!p) continue;
    L.push(`**Where the time goes, ${what}** (\`--profile\`: \`node --cpu-prof\` on bench-small, ${(p.totalMs / 1000).toFixed(2)} s sampled; self = in the function itself, total = with its callees; the 15 largest self times):`);
    L.push('');
    L.push(mdRow(['self %', 'total %', 'function', 'where']));
    L.push(mdRow(['---:', '---:', '---', '---']));
    for (const e of p.entries) L.push(mdRow([e.selfPct.toFixed(1), e.totalPct.toFixed(1), `\`${e.function}\``, e.where ? `\`${e.where}\`` : '']));
    L.push('');
  }
  return L.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
