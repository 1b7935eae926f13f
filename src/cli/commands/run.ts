/**
 * `vigil run`: the live sensor. Captures with the privileged helper (tcpdump/dumpcap), runs the
 * pipeline, keeps everything in the SQLite store, prints alerts as they happen, and stops cleanly
 * on Ctrl-C / SIGTERM (the batch in flight is committed).
 */
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { SENSOR_NODE_FLAGS, UNLIMITED_HEAP_BYTES } from '../../sensor/runtime.js';
import { loadConfig } from '../../config/load.js';
import { openSession } from '../../sensor/session.js';
import { applyCommands, writePidFile } from '../../sensor/commands.js';
import { LiveSource, type LiveEvent } from '../../capture/live.js';
import { loadOui } from '../../device/oui.js';
import { LogDirectory } from '../../logs/log-dir.js';
import { isVigilError } from '../../util/errors.js';
import type { Alert } from '../../alert/alert.js';

export const RUN_HELP = `Usage: vigil run [options]

Starts the live sensor: captures on the network interface, identifies every device, learns what
is normal for each one and raises alerts. Everything is kept in the local database; nothing
leaves this machine. Stop with Ctrl-C.

Options:
  -i, --interface IF   interface to capture on (default: the one of the default route)
  --bpf FILTER         capture filter, e.g. 'not port 22'
  --config FILE        settings file (default: ./vigil.yaml or /etc/vigil/vigil.yaml if present)
  --data-dir DIR       where the database lives (default ./data; /var/lib/vigil when installed)
  --db FILE            database file (default DATA-DIR/vigil.db)
  --logs DIR           also write Zeek-style logs there
  --duration SECONDS   stop by itself after this long (for trials and tests)
  --quiet              print alerts only, no status lines
  -h, --help           this help

Capturing needs CAP_NET_RAW for the helper, never root for Vigil: run
'sudo scripts/install-capture.sh' once (see docs/CAPTURE.md).
`;

export async function runRun(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        interface: { type: 'string', short: 'i' },
        bpf: { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        db: { type: 'string' },
        logs: { type: 'string' },
        duration: { type: 'string' },
        quiet: { type: 'boolean' },
      },
    }));
  } catch (e) {
    process.stderr.write(`vigil run: ${(e as Error).message}. Run 'vigil run --help'.\n`);
    return 2;
  }
  const duration = values.duration !== undefined ? Number(values.duration) : 0;
  if (!Number.isFinite(duration) || duration < 0) {
    process.stderr.write(`vigil run: --duration must be a number of seconds.\n`);
    return 2;
  }
  const { config, file } = loadConfig(values.config, {
    'capture.interface': values.interface,
    'capture.bpf': values.bpf,
    dataDir: values['data-dir'],
    db: values.db,
    'logs.dir': values.logs,
  });
  const say = (line: string) => process.stderr.write(`vigil: ${line}\n`);
  if (getHeapStatistics().heap_size_limit > UNLIMITED_HEAP_BYTES) {
    say(`started without a heap limit, so memory grows well past what the sensor needs before the garbage collector works hard; start it with scripts/start.sh or the systemd unit, or as 'node ${SENSOR_NODE_FLAGS.join(' ')} dist/src/cli/main.js run'`);
  }
  const logs = config.logs.dir ? new LogDirectory(config.logs.dir, config.logs.format) : null;
  const session = openSession(config, { ...(logs ? { sinks: [logs] } : {}), log: say });
  const p = session.pipeline;
  const removePidFile = writePidFile(session.dbPath);
  p.alerts.on((a: Alert) => process.stdout.write(`${new Date(a.ts * 1000).toISOString()} ALERT ${a.severity.toUpperCase()} ${a.code}: ${a.summary}\n`));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const source = new LiveSource({
    iface: config.capture.interface === 'auto' ? undefined : config.capture.interface,
    bpf: config.capture.bpf || undefined,
    snaplen: config.capture.snaplen,
    helper: config.capture.helper,
    helperPath: config.capture.helperPath || undefined,
    signal: stop.signal,
    onEvent: (e: LiveEvent) => {
      p.count(`capture.event.${e.kind}`);
      onLiveEvent(e, p.engine.now, say, (a) => p.alerts.raise(a));
    },
  });
  // Load the ASN tables and the vendor registry now: loading them on the first packets would
  // stall the pipeline for a second while the kernel's capture buffer overflows.
  p.enricher.warm();
  loadOui();
  say(`capturing on ${source.name}${file ? `, settings from ${file}` : ''}; database ${session.dbPath}`);
  // Feeds update on their own cadence (never faster than each provider asks); a failure keeps the
  // last good copy. Off with intel.update: false (then only `vigil intel update` and local files).
  const stopFeeds = session.feeds && config.intel.update ? session.feeds.schedule() : null;
  const timer = setInterval(() => {
    // Packets may stop (a quiet night): persistence and hours still move with the newest packet time.
    p.maintain(p.engine.now);
    // `vigil baseline accept` from another shell: the sensor owns the baselines, so it applies it.
    applyCommands(session.store, p.baselines, p.engine.now);
    // No flush here: the store's own writer commits each second, and flush() would also write its
    // slow lane (rollups, time-only updates) every second, which is what the slow lane avoids.
  }, 1000);
  timer.unref();
  const status = values.quiet ? null : setInterval(() => {
    const s = p.stats();
    const cap = source.stats();
    say(`${s['decoder.packets'] ?? 0} packets, ${p.flowsSeen} flows, ${p.inventory.size} devices, ${p.alerts.raised} alerts; capture drops ${cap['capture.kernel_drops'] ?? 0}`);
  }, 60_000);
  status?.unref();
  const until = duration > 0 ? setTimeout(() => stop.abort(), duration * 1000) : null;
  let code = 0;
  try {
    await source.run(p.engine);
  } catch (e) {
    if (!isVigilError(e)) throw e;
    say(`${e.message} [${e.code}]`);
    code = 1;
  } finally {
    clearInterval(timer);
    stopFeeds?.();
    if (status) clearInterval(status);
    if (until) clearTimeout(until);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    session.close();
    logs?.close();
    removePidFile();
  }
  if (code === 0) say(`stopped: ${p.stats()['decoder.packets'] ?? 0} packets, ${p.flowsSeen} flows, ${p.inventory.size} devices, ${p.alerts.raised} alerts`);
  return code;
}

/** Capture helper events become log lines, and sustained loss a sensor-health alert. */
function onLiveEvent(e: LiveEvent, now: number, say: (l: string) => void, raise: (a: Alert) => void): void {
  if (e.kind === 'loss') {
    const pct = Math.round(e.ratio * 1000) / 10;
    const ts = now || Date.now() / 1000;
    raise({
      ts,
      code: 'sensor.capture_loss',
      severity: 'medium',
      device: null,
      summary: `The sensor missed ${pct}% of packets over the last minute: the link is busier than this machine can follow; add a capture filter (--bpf) or move Vigil to faster hardware.`,
      evidence: { ratio: e.ratio },
      key: `sensor.capture_loss|${Math.floor(ts / 3600)}`,
    });
    return;
  }
  // Every other event is already one log line from LiveSource itself; the pipeline counts them.
  void say;
}
