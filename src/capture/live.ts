/**
 * Live capture: a helper process (tcpdump, or dumpcap) opens the interface and writes a pcap
 * stream to its standard output; Vigil parses that stream with the same FrameParser as files.
 * Only the helper needs CAP_NET_RAW (DESIGN rule 10), a crash in it cannot take Vigil down, and
 * BPF filtering happens in the kernel for free.
 *
 * The sensor runs for months, so everything the helper or the interface can do is survived: the
 * helper dying, the interface vanishing or going down. Each is an event, a log line and a
 * counter, then a restart with exponential back-off. Only the FIRST start fails hard (a missing
 * helper, a missing permission, an interface that does not exist, a bad filter), with one
 * sentence that says what to run, because then the user is there to read it.
 *
 * Wall-clock time is used here only for I/O pacing (back-off, stats timer, loss window); packet
 * timestamps come from the kernel through the helper, untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { FrameParser } from './frame-parser.js';
import type { PacketSink } from './packet-sink.js';
import type { CaptureResult, CaptureSource, ProgressListener } from './source.js';
import { HelperStderr, type CaptureHelper, type HelperCounts } from './helper-stats.js';
import { defaultInterface, interfaceCounters, interfaceExists, interfaceInfo, interfaceNames, isValidInterfaceName, type InterfaceCounters } from './interfaces.js';
import { VigilError, type ErrorCode } from '../util/errors.js';

export type { CaptureHelper } from './helper-stats.js';

/** The private, capability-carrying copy of tcpdump that scripts/install-capture.sh installs. */
export const VIGIL_TCPDUMP = '/usr/local/lib/vigil/tcpdump';
export const DEFAULT_SNAPLEN = 262144;
/** Kernel capture buffer: 8 MiB absorbs a burst of ~5,000 full frames while Vigil is busy. */
export const DEFAULT_BUFFER_KIB = 8192;

export interface RestartPolicy {
  /** First back-off after a helper death. */
  minMs: number;
  /** Back-off doubles per consecutive failure up to this. */
  maxMs: number;
}

export interface LossPolicy {
  /** Loss ratio (lost / seen) above which a `loss` event fires. */
  ratio: number;
  /** Window the ratio is measured over, and the minimum gap between two loss events. */
  windowMs: number;
  /** Below this many packets in the window the ratio is noise and not judged. */
  minPackets: number;
}

export interface LiveOptions {
  /** Interface to capture on; default: the default route's, else the first up non-loopback one. */
  iface?: string;
  /** BPF filter expression, applied in the kernel. */
  bpf?: string;
  /** Bytes kept per packet (default 262144, the whole packet). */
  snaplen?: number;
  /** Kernel capture buffer in KiB (tcpdump -B; dumpcap gets it rounded up to MiB). */
  bufferKiB?: number;
  helper?: CaptureHelper;
  /** Explicit helper executable; default: VIGIL_TCPDUMP when usable, else the helper on PATH. */
  helperPath?: string;
  restart?: RestartPolicy;
  /** How often counters are read (at most 10 s, the issue's promise). Default 5 s. */
  statsIntervalMs?: number;
  loss?: Partial<LossPolicy>;
  /** Grace given to the helper between SIGTERM and SIGKILL at stop. Default 3 s. */
  stopTimeoutMs?: number;
  onEvent?: (e: LiveEvent) => void;
  /** Where log lines go; default standard error, prefixed `vigil: capture:`. */
  log?: (line: string) => void;
  /** Stops the capture: the helper is terminated and run() resolves. */
  signal?: AbortSignal;
}

interface EventBase {
  readonly iface: string;
  /** One plain sentence, also written as the log line. */
  readonly message: string;
}

export type LiveEvent =
  | (EventBase & { readonly kind: 'helper_start'; readonly pid: number; readonly helper: CaptureHelper; readonly path: string; readonly attempt: number })
  | (EventBase & {
      readonly kind: 'helper_exit';
      readonly code: number | null;
      readonly signal: string | null;
      /** The last lines the helper printed (bounded). */
      readonly stderrTail: string;
      /** Why, as far as the helper said (e.g. "The interface disappeared"). */
      readonly reason: string;
      readonly ifaceGone: boolean;
      readonly restartInMs: number;
      readonly restarts: number;
    })
  | (EventBase & { readonly kind: 'interface_wait'; readonly state: 'missing' | 'down'; readonly retryInMs: number })
  | (EventBase & { readonly kind: 'loss'; readonly ratio: number; readonly lost: number; readonly seen: number; readonly windowMs: number })
  | (EventBase & { readonly kind: 'running_as_root' });

/** Counts what the pipeline receives, then passes the packet on. No allocation per packet. */
class CountingSink implements PacketSink {
  packets = 0;
  bytes = 0;
  constructor(private readonly inner: PacketSink) {}
  packet(linktype: number, buf: Buffer, off: number, caplen: number, wirelen: number, ts: number): void {
    this.packets++;
    this.bytes += wirelen;
    this.inner.packet(linktype, buf, off, caplen, wirelen, ts);
  }
}

export interface ResolvedHelper {
  readonly helper: CaptureHelper;
  readonly path: string;
  /** The path was given by the user (messages then talk about that path, not the package). */
  readonly explicit: boolean;
  /** Set when VIGIL_TCPDUMP exists but this user cannot run it (not in the vigil group yet). */
  readonly note: string | null;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** PATH plus the sbin directories a non-root PATH often lacks (tcpdump lives in /usr/bin or /usr/sbin). */
function findOnPath(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (!dirs.includes(d)) dirs.push(d);
  for (const d of dirs) {
    const p = join(d, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/** Which executable LiveSource will run. */
export function resolveHelper(helper: CaptureHelper = 'tcpdump', helperPath?: string): ResolvedHelper {
  if (helperPath) return { helper, path: helperPath, explicit: true, note: null };
  let note: string | null = null;
  if (helper === 'tcpdump') {
    let exists = false;
    try {
      exists = statSync(VIGIL_TCPDUMP).isFile();
    } catch {
      exists = false;
    }
    if (exists) {
      if (isExecutableFile(VIGIL_TCPDUMP)) return { helper, path: VIGIL_TCPDUMP, explicit: false, note: null };
      note = `${VIGIL_TCPDUMP} is installed but this user may not run it: log out and back in (or run \`newgrp vigil\`) so the vigil group membership takes effect`;
    }
  }
  // Not found: keep the bare name, so spawning fails with ENOENT and the message says "not installed".
  return { helper, path: findOnPath(helper) ?? helper, explicit: false, note };
}

/** The helper's command line (the filter after `--`, so a filter can never be read as an option). */
export function helperArgs(helper: CaptureHelper, iface: string, snaplen = DEFAULT_SNAPLEN, bufferKiB = DEFAULT_BUFFER_KIB, bpf?: string): string[] {
  if (helper === 'dumpcap') {
    // -P: classic pcap like tcpdump; -q: no per-packet count lines on stderr.
    const args = ['-i', iface, '-P', '-q', '-w', '-', '-s', String(snaplen), '-B', String(Math.max(1, Math.ceil(bufferKiB / 1024)))];
    if (bpf) args.push('-f', bpf);
    return args;
  }
  // -U: flush per packet; --immediate-mode: no kernel batching delay; -n: never resolve names.
  const args = ['-i', iface, '-w', '-', '-U', '-n', '--immediate-mode', '-s', String(snaplen), '-B', String(bufferKiB)];
  if (bpf) args.push('--', bpf);
  return args;
}

function packageOf(helper: CaptureHelper): string {
  return helper === 'tcpdump' ? 'tcpdump' : 'wireshark-common';
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

export interface FailureContext {
  readonly resolved: ResolvedHelper;
  readonly iface: string;
  readonly bpf?: string;
}

export interface HelperFailure {
  readonly code: ErrorCode;
  readonly message: string;
  /** A condition that can pass by itself (interface down): retried even at the first start. */
  readonly transient: boolean;
}

const PERMISSION_FIX = 'run `sudo scripts/install-capture.sh` to give the capture helper CAP_NET_RAW, or run Vigil under the systemd unit in deploy/';

/**
 * Turns how the helper failed (spawn error code, or what it printed) into a coded error with the
 * fix. Exported for `vigil doctor`, which runs the same check before capturing.
 */
export function classifyHelperFailure(ctx: FailureContext, spawnError: string | null, reason: string, exit: string): HelperFailure {
  const { helper, path, explicit, note } = ctx.resolved;
  const pkg = packageOf(helper);
  if (spawnError === 'ENOENT') {
    const message = explicit
      ? `the capture helper ${path} does not exist: run scripts/setup.sh (or apt install ${pkg}), or give the right helper path.`
      : `${helper} is not installed: run scripts/setup.sh (or apt install ${pkg}).`;
    return { code: 'VIGIL_ERR_CAPTURE_HELPER_MISSING', message, transient: false };
  }
  if (spawnError === 'EACCES' || spawnError === 'EPERM') {
    const why = note ?? 'if you just ran `sudo scripts/install-capture.sh`, log out and back in so the vigil group membership takes effect';
    return { code: 'VIGIL_ERR_CAPTURE_PERMISSION', message: `cannot run the capture helper ${path} (permission denied): ${why}.`, transient: false };
  }
  if (spawnError) {
    return { code: 'VIGIL_ERR_CAPTURE_OPEN', message: `cannot start the capture helper ${path} (${spawnError}): check that it is an executable ${helper}.`, transient: false };
  }
  if (/permission|Operation not permitted/i.test(reason)) {
    const extra = note ? ` (${note})` : '';
    return {
      code: 'VIGIL_ERR_CAPTURE_PERMISSION',
      message: `${helper} (${path}) may not capture on ${ctx.iface} as user ${currentUser()}${extra}: ${PERMISSION_FIX}.`,
      transient: false,
    };
  }
  if (/No such device|doesn't exist|no suitable device|There is no device/i.test(reason)) {
    return { code: 'VIGIL_ERR_CAPTURE_INTERFACE', message: missingInterfaceMessage(ctx.iface), transient: false };
  }
  if (/not up|is down|network is down/i.test(reason)) {
    return { code: 'VIGIL_ERR_CAPTURE_INTERFACE', message: `interface ${ctx.iface} is down: bring it up (sudo ip link set ${ctx.iface} up); capture starts when it is up.`, transient: true };
  }
  if (ctx.bpf && /syntax error|parse filter|illegal|invalid|unknown|filter expression|expression rejects/i.test(reason)) {
    return { code: 'VIGIL_ERR_CONFIG', message: `the capture filter '${ctx.bpf}' is not valid (${reason}): fix it (syntax: man pcap-filter).`, transient: false };
  }
  return {
    code: 'VIGIL_ERR_CAPTURE_OPEN',
    message: `the capture helper ${path} stopped at start (${exit})${reason ? `: ${reason}` : ''}. Run it by hand to see why: ${path} ${helperArgs(helper, ctx.iface).join(' ')}.`,
    transient: false,
  };
}

export function missingInterfaceMessage(iface: string): string {
  const names = interfaceNames();
  return `interface ${iface} does not exist; interfaces here: ${names.length ? names.join(', ') : 'none'}. Choose one with -i.`;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code ?? '?'}`;
}

let warnedRoot = false;

interface RunOutcome {
  listened: boolean;
  spawnError: string | null;
  code: number | null;
  signal: string | null;
  tail: string;
  reason: string;
  ranMs: number;
  pid: number | null;
}

interface Sample {
  t: number;
  lost: number;
  seen: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const ZERO_COUNTS: HelperCounts = { captured: 0, received: 0, dropped: 0, ifDropped: 0 };

/**
 * `vigil run`'s packet source. run() resolves only when `signal` aborts (or throws at the first
 * start); stats() may be called at any time.
 */
export class LiveSource implements CaptureSource {
  readonly name: string;
  /** The interface captured on ('' when none could be chosen; run() then throws). */
  readonly iface: string;
  readonly resolved: ResolvedHelper;

  readonly #opts: LiveOptions;
  readonly #restart: RestartPolicy;
  readonly #loss: LossPolicy;
  readonly #statsIntervalMs: number;
  readonly #log: (line: string) => void;
  #child: ChildProcess | null = null;
  #stderr: HelperStderr | null = null;
  #running = false;
  #counting: CountingSink | null = null;
  // Totals over finished helper runs; the live run's counters are added on read.
  readonly #helperDone: HelperCounts = { ...ZERO_COUNTS };
  #restarts = 0;
  #statsReads = 0;
  #lossEvents = 0;
  #lossRatio = 0;
  #lastLossAt = -Infinity;
  readonly #samples: Sample[] = [];
  // Interface counters: deltas since start, surviving the interface being re-created.
  #ifLast: InterfaceCounters | null = null;
  #ifReceived = 0;
  #ifDropped = 0;
  // What the parsers saw, over all runs.
  #records = 0;
  #truncated = 0;
  #bytes = 0;
  readonly #linktypes = new Set<number>();
  #format: CaptureResult['format'] = null;

  constructor(opts: LiveOptions = {}) {
    this.#opts = opts;
    this.iface = opts.iface ?? defaultInterface() ?? '';
    this.name = `live:${this.iface || '(no interface)'}`;
    this.resolved = resolveHelper(opts.helper ?? 'tcpdump', opts.helperPath);
    this.#restart = opts.restart ?? { minMs: 1000, maxMs: 60_000 };
    this.#loss = { ratio: 0.1, windowMs: 60_000, minPackets: 100, ...opts.loss };
    this.#statsIntervalMs = Math.min(opts.statsIntervalMs ?? 5000, 10_000);
    this.#log = opts.log ?? ((line) => process.stderr.write(`vigil: capture: ${line}\n`));
  }

  /** Process id of the running helper, or null between runs. */
  get helperPid(): number | null {
    return this.#child?.pid ?? null;
  }

  stats(): Record<string, number> {
    const live = this.#stderr?.counts ?? ZERO_COUNTS;
    return {
      'capture.packets': this.#counting?.packets ?? 0,
      'capture.bytes': this.#counting?.bytes ?? 0,
      'capture.received': this.#helperDone.received + live.received,
      'capture.kernel_drops': this.#helperDone.dropped + live.dropped,
      'capture.helper_captured': this.#helperDone.captured + live.captured,
      'capture.if_received': this.#ifReceived,
      'capture.if_dropped': this.#ifDropped,
      'capture.helper_restarts': this.#restarts,
      'capture.stats_reads': this.#statsReads,
      'capture.loss_events': this.#lossEvents,
      'capture.loss_ratio': this.#lossRatio,
    };
  }

  async run(sink: PacketSink, progress?: ProgressListener): Promise<CaptureResult> {
    if (this.#running) throw new Error('LiveSource.run() is already running');
    const signal = this.#opts.signal;
    const iface = this.iface;
    if (!iface) {
      throw new VigilError('VIGIL_ERR_CAPTURE_INTERFACE', `no network interface to capture on (no default route and none up): ${missingInterfaceMessage('(none)').replace(/^.*?; /, '')}`);
    }
    if (!isValidInterfaceName(iface)) {
      throw new VigilError('VIGIL_ERR_CAPTURE_INTERFACE', `'${iface}' is not an interface name; interfaces here: ${interfaceNames().join(', ') || 'none'}. Choose one with -i.`);
    }
    // `any` is libpcap's pseudo-interface (all interfaces, cooked link type); it has no /sys entry.
    const real = iface !== 'any';
    if (real && !interfaceExists(iface)) throw new VigilError('VIGIL_ERR_CAPTURE_INTERFACE', missingInterfaceMessage(iface));
    if (process.getuid?.() === 0 && !warnedRoot) {
      warnedRoot = true;
      this.#emit({
        kind: 'running_as_root',
        iface,
        message: 'Vigil is running as root; it does not need to and should not: run `sudo scripts/install-capture.sh` once, then run Vigil as your user (or under the systemd unit in deploy/).',
      });
    }
    this.#running = true;
    this.#counting = new CountingSink(sink);
    const timer = setInterval(() => {
      this.#tick();
      if (progress && this.#counting) progress(this.#counting.bytes, 0);
    }, this.#statsIntervalMs);
    this.#readInterface();
    let started = false;
    let backoff = this.#restart.minMs;
    let attempt = 0;
    let waiting: 'missing' | 'down' | null = null;
    try {
      while (!signal?.aborted) {
        if (real) {
          const info = interfaceInfo(iface);
          const state = info === null ? 'missing' : info.up ? null : 'down';
          if (state) {
            // One event and log line per outage, not one per retry.
            if (waiting !== state) {
              waiting = state;
              const what = state === 'missing' ? 'is gone' : 'is down';
              this.#emit({ kind: 'interface_wait', iface, state, retryInMs: backoff, message: `interface ${iface} ${what}; capture resumes by itself when it is back.` });
            }
            await sleep(backoff, signal);
            backoff = Math.min(backoff * 2, this.#restart.maxMs);
            continue;
          }
          waiting = null;
        }
        attempt++;
        const out = await this.#runHelper(this.#counting, attempt);
        if (!started && out.listened) started = true;
        if (signal?.aborted) break;
        const failure = out.listened ? null : classifyHelperFailure({ resolved: this.resolved, iface, bpf: this.#opts.bpf }, out.spawnError, out.reason, describeExit(out.code, out.signal));
        if (!started && failure && !failure.transient) throw new VigilError(failure.code, failure.message);
        // A run that lasted a while was healthy: the next failure starts the back-off afresh.
        if (out.listened && out.ranMs >= Math.max(30_000, this.#restart.maxMs)) backoff = this.#restart.minMs;
        this.#restarts++;
        const ifaceGone = real && !interfaceExists(iface);
        const why = ifaceGone ? `interface ${iface} is gone` : failure ? failure.message.replace(/\.$/, '') : out.reason || describeExit(out.code, out.signal);
        this.#emit({
          kind: 'helper_exit',
          iface,
          code: out.code,
          signal: out.signal,
          stderrTail: out.tail,
          reason: out.reason,
          ifaceGone,
          restartInMs: backoff,
          restarts: this.#restarts,
          message: `capture helper ${this.resolved.helper} (pid ${out.pid ?? '?'}) stopped (${describeExit(out.code, out.signal)}): ${why}; restarting in ${backoff} ms (restart ${this.#restarts}).`,
        });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#restart.maxMs);
      }
    } finally {
      clearInterval(timer);
      this.#running = false;
    }
    this.#tick();
    return {
      name: this.name,
      format: this.#format,
      compressed: false,
      bytes: this.#bytes,
      records: this.#records,
      truncatedRecords: this.#truncated,
      linktypes: [...this.#linktypes],
      problem: null,
    };
  }

  /** One helper process, from spawn to exit (or to the abort signal). Never rejects. */
  #runHelper(sink: PacketSink, attempt: number): Promise<RunOutcome> {
    const { helper, path } = this.resolved;
    const signal = this.#opts.signal;
    const args = helperArgs(helper, this.iface, this.#opts.snaplen ?? DEFAULT_SNAPLEN, this.#opts.bufferKiB ?? DEFAULT_BUFFER_KIB, this.#opts.bpf);
    const began = performance.now();
    return new Promise((resolve) => {
      // A fresh parser per run: each helper run starts its stream with a new global header.
      const parser = new FrameParser(sink);
      let child: ChildProcess;
      const stderr = new HelperStderr(helper, () => {
        this.#emit({
          kind: 'helper_start',
          iface: this.iface,
          pid: child.pid ?? -1,
          helper,
          path,
          attempt,
          message: attempt === 1 ? `capturing on ${this.iface} with ${path} (pid ${child.pid}).` : `capture resumed on ${this.iface} with ${path} (pid ${child.pid}, start ${attempt}).`,
        });
      });
      let settled = false;
      let spawnError: string | null = null;
      let killTimer: NodeJS.Timeout | null = null;
      let damaged = false;
      const finish = (code: number | null, sig: string | null) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        stderr.end();
        parser.finish();
        this.#records += parser.records;
        this.#truncated += parser.truncatedRecords;
        this.#bytes += parser.base + parser.start;
        for (const l of parser.linktypes) this.#linktypes.add(l);
        this.#format ??= parser.format;
        const c = stderr.counts;
        this.#helperDone.captured += c.captured;
        this.#helperDone.received += c.received;
        this.#helperDone.dropped += c.dropped;
        this.#helperDone.ifDropped += c.ifDropped;
        this.#child = null;
        this.#stderr = null;
        // A damaged stream (the helper wrote something that is not pcap) is the reason we stopped it.
        const reason = damaged ? `its output stopped being a capture: ${parser.problem ?? parser.notCapture}` : stderr.reason;
        resolve({ listened: stderr.listening, spawnError, code, signal: sig, tail: stderr.tail, reason, ranMs: performance.now() - began, pid: child?.pid ?? null });
      };
      const stop = () => {
        // dumpcap prints its counters on SIGINT only; tcpdump on SIGTERM and SIGINT alike.
        child.kill(helper === 'dumpcap' ? 'SIGINT' : 'SIGTERM');
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), this.#opts.stopTimeoutMs ?? 3000);
      };
      const onAbort = () => stop();
      try {
        child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        // Synchronous spawn failures (EINVAL, ENAMETOOLONG …); ENOENT/EACCES arrive as 'error'.
        settled = true;
        resolve({ listened: false, spawnError: (e as NodeJS.ErrnoException).code ?? 'spawn failed', code: null, signal: null, tail: '', reason: '', ranMs: 0, pid: null });
        return;
      }
      this.#child = child;
      this.#stderr = stderr;
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e.code ?? e.message;
        // A failed spawn never emits 'close' on some Node versions: finish here.
        if (child.pid === undefined) finish(null, null);
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (parser.stopped) return;
        parser.push(chunk);
        // A damaged stream cannot be resynchronised: restart the helper for a fresh header.
        if (parser.stopped) {
          damaged = true;
          stop();
        }
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (s: string) => stderr.push(s));
      child.on('close', (code, sig) => finish(code, sig));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) stop();
    });
  }

  /** Periodic read of every counter, the loss judgement, and a counter request to the helper. */
  #tick(): void {
    this.#statsReads++;
    this.#readInterface();
    const st = this.stats();
    // tcpdump's own counters are exact for what it was given; dumpcap's arrive only at exit, so
    // for it the interface counters stand in.
    const useHelper = this.resolved.helper === 'tcpdump';
    const lost = (useHelper ? st['capture.kernel_drops'] : 0) + st['capture.if_dropped'];
    const seen = (useHelper ? st['capture.received'] : st['capture.if_received']) + st['capture.if_dropped'];
    const now = performance.now();
    const s = this.#samples;
    s.push({ t: now, lost, seen });
    // Keep one sample at or before the window start, so the window is measured in full.
    while (s.length > 2 && s[1].t <= now - this.#loss.windowMs) s.shift();
    const base = s[0];
    const dSeen = seen - base.seen;
    const dLost = lost - base.lost;
    this.#lossRatio = dSeen > 0 ? Math.max(0, dLost) / dSeen : 0;
    if (dSeen >= this.#loss.minPackets && this.#lossRatio > this.#loss.ratio && now - this.#lastLossAt >= this.#loss.windowMs) {
      this.#lastLossAt = now;
      this.#lossEvents++;
      const pct = (this.#lossRatio * 100).toFixed(1);
      this.#emit({
        kind: 'loss',
        iface: this.iface,
        ratio: this.#lossRatio,
        lost: dLost,
        seen: dSeen,
        windowMs: Math.round(now - base.t),
        message: `lost ${pct}% of the packets on ${this.iface} over the last ${Math.round((now - base.t) / 1000)} s (${dLost} of ${dSeen}): the sensor cannot keep up; see docs/CAPTURE.md (filter with --bpf, a smaller snap length, a faster machine).`,
      });
    }
    // Ask tcpdump for fresh counters (printed on stderr, parsed as they come). Only once it is
    // listening: before its handler is installed SIGUSR1 would kill it.
    const child = this.#child;
    if (useHelper && child && this.#stderr?.listening && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGUSR1');
      } catch {
        // The helper is exiting; its exit report carries the counters instead.
      }
    }
  }

  #readInterface(): void {
    if (this.iface === 'any' || !this.iface) return;
    const c = interfaceCounters(this.iface);
    if (!c) {
      // Gone: whatever a re-created interface counts from zero is new traffic.
      if (this.#ifLast) this.#ifLast = { rxPackets: 0, rxDropped: 0 };
      return;
    }
    const last = this.#ifLast;
    this.#ifLast = c;
    if (!last) return; // the first reading is the baseline: earlier traffic is not ours
    const dp = c.rxPackets - last.rxPackets;
    const dd = c.rxDropped - last.rxDropped;
    // A decrease means the counters were reset (interface re-created between two reads).
    this.#ifReceived += dp >= 0 ? dp : c.rxPackets;
    this.#ifDropped += dd >= 0 ? dd : c.rxDropped;
  }

  #emit(e: LiveEvent): void {
    this.#log(e.message);
    try {
      this.#opts.onEvent?.(e);
    } catch (err) {
      this.#log(`event handler failed: ${(err as Error).message}`);
    }
  }
}

/** The result of `checkHelper`: can this user's helper open the interface? */
export interface HelperCheck {
  readonly ok: boolean;
  readonly helper: CaptureHelper;
  readonly path: string;
  /** Set when it cannot; message says what to run. */
  readonly error: VigilError | null;
}

/**
 * Asks the helper to open the interface and print the compiled filter (`-d`), which needs the
 * same privilege as capturing but captures nothing: a quick, exact permission check.
 */
export async function checkHelper(opts: { iface: string; helper?: CaptureHelper; helperPath?: string; bpf?: string; timeoutMs?: number }): Promise<HelperCheck> {
  const resolved = resolveHelper(opts.helper ?? 'tcpdump', opts.helperPath);
  const args = ['-i', opts.iface, '-d'];
  if (opts.bpf) args.push(...(resolved.helper === 'dumpcap' ? ['-f', opts.bpf] : ['--', opts.bpf]));
  const out = await new Promise<{ spawnError: string | null; code: number | null; signal: string | null; stderr: HelperStderr }>((resolve) => {
    const stderr = new HelperStderr(resolved.helper);
    let child: ChildProcess;
    try {
      child = spawn(resolved.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      resolve({ spawnError: (e as NodeJS.ErrnoException).code ?? 'spawn failed', code: null, signal: null, stderr });
      return;
    }
    let spawnError: string | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code ?? e.message;
      if (child.pid === undefined) {
        clearTimeout(timer);
        resolve({ spawnError, code: null, signal: null, stderr });
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => stderr.push(s));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      stderr.end();
      resolve({ spawnError, code, signal, stderr });
    });
  });
  if (!out.spawnError && out.code === 0) return { ok: true, helper: resolved.helper, path: resolved.path, error: null };
  const f = classifyHelperFailure({ resolved, iface: opts.iface, bpf: opts.bpf }, out.spawnError, out.stderr.reason, describeExit(out.code, out.signal));
  return { ok: false, helper: resolved.helper, path: resolved.path, error: new VigilError(f.code, f.message) };
}
