/**
 * `vigil analyze FILE... [-o DIR] [--format zeek|ecs]`: the same pipeline as the live sensor,
 * fed from capture files.
 */
import { parseArgs } from 'node:util';
import { analyze, feed, summarize, type AnalyzeSummary } from '../../engine/analyze.js';
import { loadConfig } from '../../config/load.js';
import { openSession } from '../../sensor/session.js';
import { LogDirectory, type LogFormat } from '../../logs/log-dir.js';
import { NULL_SINK, type RecordSink } from '../../logs/record-sink.js';
import { VigilError, isVigilError } from '../../util/errors.js';
import type { ProgressListener } from '../../capture/source.js';
import { Pipeline } from '../../sensor/pipeline.js';
import { AlertManager } from '../../alert/manager.js';
import { AlertDigest, type DigestEntry } from '../../alert/digest.js';
import { SEVERITIES } from '../../alert/alert.js';

export const ANALYZE_HELP = `Usage: vigil analyze FILE... [options]

Reads pcap or pcapng captures (gzip-compressed or not; '-' reads standard input, as in
'tcpdump -w - | vigil analyze -') through the full engine and writes one log per record type
(conn, dns, dhcp, ssl, http, ssh, arp, weird ...) into the output directory, and
runs the detectors (scans, brute force, Mirai-style propagation, floods, beaconing,
DNS tunnelling, exfiltration, ARP spoofing, rogue DHCP, cleartext logins, Tor, ICS
writes): their alerts go to alerts.log and the summary, one line per alert.

Options:
  -o, --output DIR     where logs go (default: current directory)
  --format FMT         zeek: Zeek-style JSON lines, <log>.log (default)
                       ecs:  Elastic Common Schema NDJSON, <log>.ndjson
  --no-logs            decode and track flows but write no logs (for timing)
  --no-detect          run the packet engine alone: no device inventory, no detectors
  --db FILE            also replay into this database, as the live sensor would: devices,
                       flows, baselines and alerts (logs then go only where -o says)
  --config FILE        settings file (see docs/CONFIG.md); used with --db
  --max-flows N        live flow cap (default 262144); the stalest flows are evicted beyond it
  --json               print the summary as JSON on stdout
  --quiet              no progress bar and no summary
  -h, --help           this help

Exit status: 0 on success (also when a capture is cut off: a warning says so),
1 when an input is not a capture or cannot be read, 2 on bad usage.
`;

export async function runAnalyze(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        format: { type: 'string' },
        'no-logs': { type: 'boolean' },
        'no-detect': { type: 'boolean' },
        'max-flows': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        seed: { type: 'string' },
        db: { type: 'string' },
        config: { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`vigil analyze: ${(e as Error).message}. Run 'vigil analyze --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    process.stderr.write(`vigil analyze: give at least one capture file (or - for standard input). Run 'vigil analyze --help'.\n`);
    return 2;
  }
  const format = (values.format ?? 'zeek') as LogFormat;
  if (format !== 'zeek' && format !== 'ecs') {
    process.stderr.write(`vigil analyze: --format must be zeek or ecs, not '${values.format}'.\n`);
    return 2;
  }
  const maxFlows = values['max-flows'] !== undefined ? Number(values['max-flows']) : undefined;
  if (maxFlows !== undefined && (!Number.isInteger(maxFlows) || maxFlows < 16 || maxFlows > 16_777_216)) {
    process.stderr.write(`vigil analyze: --max-flows must be a whole number from 16 to 16777216.\n`);
    return 2;
  }
  if (values.db !== undefined) return analyzeIntoDb(positionals, values.db, values.config, {
    logsDir: values['no-logs'] ? undefined : values.output,
    format,
    maxFlows,
    json: values.json === true,
    quiet: values.quiet === true,
  });
  const logs = values['no-logs'] ? null : new LogDirectory(values.output ?? '.', format);
  const sink: RecordSink = logs ?? NULL_SINK;
  const showProgress = !values.quiet && !values.json && process.stderr.isTTY === true;
  const engine = {
    ...(maxFlows !== undefined ? { maxFlows } : {}),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
  };
  let summary: AnalyzeSummary;
  let alerts: DigestEntry[] | null = null;
  try {
    if (values['no-detect']) {
      summary = await analyze(positionals, sink, { engine, progress: showProgress ? progressBar : undefined });
    } else {
      const r = await analyzeWithDetectors(positionals, logs, values.config, engine, showProgress ? progressBar : undefined);
      summary = r.summary;
      alerts = r.alerts;
    }
  } catch (e) {
    if (showProgress) process.stderr.write('\n');
    if (isVigilError(e)) {
      process.stderr.write(`vigil analyze: ${e.message}\n`);
      logs?.close();
      return 1;
    }
    throw e;
  }
  if (showProgress) process.stderr.write('\r\x1b[K');
  logs?.close();
  for (const f of summary.files) {
    if (f.problem) process.stderr.write(`vigil analyze: warning: ${f.name}: ${f.problem}; everything before that point was analyzed.\n`);
  }
  if (values.json) {
    const out = { ...summary, logs: logs ? Object.fromEntries(logs.counts()) : {}, ...(alerts ? { alerts } : {}) };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else if (!values.quiet) {
    process.stdout.write(formatSummary(summary, logs));
    if (alerts) process.stdout.write(formatAlerts(alerts));
  }
  return 0;
}

/**
 * The sensor's pipeline without a database: device inventory, detectors (and the rest of the
 * pipeline) over the captures; alerts aggregated by key, written to alerts.log when logs are on.
 */
async function analyzeWithDetectors(
  paths: string[],
  logs: LogDirectory | null,
  configFile: string | undefined,
  engine: { maxFlows?: number; seed?: number },
  progress: ((file: string) => ProgressListener) | undefined,
): Promise<{ summary: AnalyzeSummary; alerts: DigestEntry[] }> {
  const { config } = loadConfig(configFile);
  const digest = new AlertDigest();
  const manager = new AlertManager().toStore((a) => digest.add(a));
  const pipeline = new Pipeline({
    config,
    store: null,
    baselines: false,
    alerts: manager,
    ...(logs ? { sinks: [logs] } : {}),
    // As the bare engine: analyze keeps more live flows than the sensor's default.
    engine: { maxFlows: 262_144, ...engine },
    log: (line) => process.stderr.write(`vigil analyze: ${line}\n`),
  });
  const started = process.hrtime.bigint();
  const files = await feed(pipeline.engine, paths, progress);
  pipeline.finish();
  const summary = summarize(pipeline.engine, files, Number(process.hrtime.bigint() - started) / 1e9);
  const alerts = digest.entries();
  if (logs) {
    for (const a of alerts) {
      logs.record('alerts', a.ts, null, {
        last: a.last, count: a.count, code: a.code, severity: a.severity, device: a.device ?? undefined,
        summary: a.summary, evidence: a.evidence, key: a.key,
      });
    }
  }
  return { summary, alerts };
}

/** One line per alert, most severe first: what a person reads after `vigil analyze`. */
export function formatAlerts(alerts: readonly DigestEntry[]): string {
  if (alerts.length === 0) return 'alerts    none\n';
  const bySev = new Map<string, number>();
  for (const a of alerts) bySev.set(a.severity, (bySev.get(a.severity) ?? 0) + 1);
  const order = [...SEVERITIES].reverse();
  const counts = order.filter((s) => bySev.has(s)).map((s) => `${bySev.get(s)} ${s}`).join(', ');
  const lines = [`alerts    ${n(alerts.length)} (${counts})`];
  const sorted = [...alerts].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.ts - b.ts);
  const shown = sorted.slice(0, 50);
  for (const a of shown) lines.push(`  ${a.severity.padEnd(8)} ${a.code}${a.count > 1 ? ` (×${n(a.count)})` : ''}: ${a.summary}`);
  if (sorted.length > shown.length) lines.push(`  … and ${n(sorted.length - shown.length)} more in alerts.log`);
  return lines.join('\n') + '\n';
}

interface DbRunOptions {
  logsDir: string | undefined;
  format: LogFormat;
  maxFlows: number | undefined;
  json: boolean;
  quiet: boolean;
}

/** `vigil analyze --db`: the live sensor's pipeline fed from files. */
async function analyzeIntoDb(paths: string[], db: string, configFile: string | undefined, o: DbRunOptions): Promise<number> {
  const { config } = loadConfig(configFile, { db, ...(o.maxFlows !== undefined ? { 'engine.maxFlows': o.maxFlows } : {}) });
  const logs = o.logsDir !== undefined ? new LogDirectory(o.logsDir, o.format) : null;
  const session = openSession(config, {
    ...(logs ? { sinks: [logs] } : {}),
    log: (line) => process.stderr.write(`vigil analyze: ${line}\n`),
  });
  const started = process.hrtime.bigint();
  let files;
  try {
    files = await feed(session.pipeline.engine, paths);
  } catch (e) {
    session.close();
    logs?.close();
    if (isVigilError(e)) {
      process.stderr.write(`vigil analyze: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  session.close();
  logs?.close();
  const summary = summarize(session.pipeline.engine, files, Number(process.hrtime.bigint() - started) / 1e9);
  for (const f of summary.files) {
    if (f.problem) process.stderr.write(`vigil analyze: warning: ${f.name}: ${f.problem}; everything before that point was analyzed.\n`);
  }
  const stats = session.pipeline.stats();
  const extra = { db: session.dbPath, devices: session.pipeline.inventory.size, alerts: session.pipeline.alerts.raised, stats };
  if (o.json) {
    process.stdout.write(JSON.stringify({ ...summary, ...extra, logs: logs ? Object.fromEntries(logs.counts()) : {} }, null, 2) + '\n');
  } else if (!o.quiet) {
    process.stdout.write(formatSummary(summary, logs));
    process.stdout.write(`database  ${session.dbPath}: ${n(extra.devices)} devices, ${n(extra.alerts)} alerts raised\n`);
  }
  return 0;
}

function progressBar(file: string): ProgressListener {
  const start = process.hrtime.bigint();
  return (done, total) => {
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    const mbs = secs > 0 ? done / 1e6 / secs : 0;
    const pct = total > 0 ? Math.min(100, (done / total) * 100) : 0;
    const width = 30;
    const fill = total > 0 ? Math.round((pct / 100) * width) : 0;
    const bar = total > 0 ? '[' + '#'.repeat(fill) + ' '.repeat(width - fill) + `] ${pct.toFixed(0)}%` : `${(done / 1e6).toFixed(0)} MB`;
    process.stderr.write(`\r${file}: ${bar}  ${mbs.toFixed(0)} MB/s`);
  };
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function formatSummary(s: AnalyzeSummary, logs: LogDirectory | null): string {
  const rate = s.seconds > 0 ? s.packets / s.seconds : 0;
  const lines: string[] = [];
  lines.push(`packets   ${n(s.packets)} (${n(s.bytes)} bytes) in ${s.seconds.toFixed(2)} s, ${n(Math.round(rate))} packets/s`);
  lines.push(`flows     ${n(s.flows)} (${n(s.counters['flow.evicted'])} evicted at the flow cap)`);
  const c = s.counters;
  lines.push(`protocols ipv4 ${n(c['decoder.ipv4'])}, ipv6 ${n(c['decoder.ipv6'])}, arp ${n(c['decoder.arp'])}, tcp ${n(c['decoder.tcp'])}, udp ${n(c['decoder.udp'])}, icmp ${n(c['decoder.icmp'])}, other ip ${n(c['decoder.other_ip'])}`);
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  if (Object.keys(s.services).length) lines.push(`services  ${kv(s.services)}`);
  if (Object.keys(s.nonIpEthertypes).length) lines.push(`non-ip    ethertypes ${kv(s.nonIpEthertypes)}`);
  if (Object.keys(s.otherIpProtocols).length) lines.push(`other ip  protocols ${kv(s.otherIpProtocols)}`);
  if (Object.keys(s.unsupportedLinktypes).length) lines.push(`skipped   unsupported link types ${kv(s.unsupportedLinktypes)} (packets)`);
  lines.push(Object.keys(s.weirds).length ? `weird     ${kv(s.weirds)}` : 'weird     none');
  if (logs) {
    const counts = logs.counts();
    if (counts.size) lines.push(`logs      ${[...counts].map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

export { VigilError };
