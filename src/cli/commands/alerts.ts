/**
 * `vigil alerts`: what needs the owner's attention, newest first.
 * `vigil alerts close ID...` marks alerts handled.
 */
import { parseArgs } from 'node:util';
import { STORE_HELP, STORE_OPTIONS, openStoreFromArgs } from '../store-args.js';
import { parseDuration, table, when } from '../table.js';
import { SEVERITIES, type Severity } from '../../alert/alert.js';
import type { AlertQuery, StoredAlert } from '../../store/store.js';

export const ALERTS_HELP = `Usage: vigil alerts [options]
       vigil alerts close ID...        mark alerts as handled

Lists alerts, newest first (open ones only, unless --all).

Options:
  --all                also closed alerts
  --device MAC         only this device's
  --code CODE          only this code, or a prefix such as 'baseline.'
  --severity LEVEL     at least this severe: info, low, medium, high, critical
  --since DURATION     only the last DURATION of packet time before the newest alert (7d, 12h, 30m)
  --limit N            at most N (default 100)
${STORE_HELP}
`;

export async function runAlerts(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...STORE_OPTIONS,
        all: { type: 'boolean' },
        device: { type: 'string' },
        code: { type: 'string' },
        severity: { type: 'string' },
        since: { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`vigil alerts: ${(e as Error).message}. Run 'vigil alerts --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'close') {
    const ids = positionals.slice(1).map(Number);
    if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x <= 0)) {
      process.stderr.write(`vigil alerts close: give alert numbers as 'vigil alerts' lists them, e.g. vigil alerts close 12 13.\n`);
      return 2;
    }
    const { store } = openStoreFromArgs(values);
    let closed = 0;
    try {
      const open = store.alerts({ status: 'open', limit: 1_000_000 });
      const now = open.reduce((m, a) => Math.max(m, a.lastTs), 0);
      for (const id of ids) {
        const a = open.find((x) => x.id === id);
        if (a) closed += store.closeAlerts({ key: a.key, reason: 'closed by the owner', ts: now });
      }
    } finally {
      store.close();
    }
    process.stdout.write(`${closed} alert${closed === 1 ? '' : 's'} closed\n`);
    return closed === ids.length ? 0 : 1;
  }
  if (positionals.length > 0) {
    process.stderr.write(`vigil alerts: unknown argument '${positionals[0]}'. Run 'vigil alerts --help'.\n`);
    return 2;
  }
  if (values.severity !== undefined && !SEVERITIES.includes(values.severity as Severity)) {
    process.stderr.write(`vigil alerts: --severity must be one of ${SEVERITIES.join(', ')}.\n`);
    return 2;
  }
  const since = values.since !== undefined ? parseDuration(values.since) : null;
  if (values.since !== undefined && since === null) {
    process.stderr.write(`vigil alerts: --since takes a duration such as 7d, 12h or 30m.\n`);
    return 2;
  }
  const limit = values.limit !== undefined ? Number(values.limit) : 100;
  if (!Number.isInteger(limit) || limit <= 0) {
    process.stderr.write(`vigil alerts: --limit must be a positive whole number.\n`);
    return 2;
  }
  const { store } = openStoreFromArgs(values);
  let alerts: StoredAlert[];
  try {
    const q: AlertQuery = {
      ...(values.all ? {} : { status: 'open' as const }),
      ...(values.device ? { device: values.device.toLowerCase() } : {}),
      ...(values.code ? { code: values.code } : {}),
      ...(values.severity ? { minSeverity: values.severity as Severity } : {}),
      limit,
    };
    alerts = store.alerts(q);
    if (since !== null) {
      const newest = alerts.reduce((m, a) => Math.max(m, a.lastTs), 0);
      alerts = alerts.filter((a) => a.lastTs >= newest - since);
    }
  } finally {
    store.close();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(alerts, null, 2) + '\n');
    return 0;
  }
  if (alerts.length === 0) {
    process.stdout.write(values.all ? 'no alerts.\n' : 'no open alerts.\n');
    return 0;
  }
  const rows = alerts.map((a) => [a.id, when(a.lastTs), a.severity, a.code, a.count > 1 ? `${a.summary} (×${a.count})` : a.summary]);
  process.stdout.write(table(['ID', 'WHEN', 'SEVERITY', 'CODE', 'WHAT'], rows, 160));
  return 0;
}
