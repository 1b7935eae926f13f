/**
 * `vigil intel list|update|add|remove|check`: the threat-intel feeds the sensor matches against.
 * Thin: the work is in src/intel/feeds.ts (state, updates) and src/intel/check.ts (lookups).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { IntelFeeds, intelDir, type FeedStatus, type FeedUpdate } from '../../intel/feeds.js';
import { table, when } from '../table.js';

export const INTEL_HELP = `Usage: vigil intel list [options]
       vigil intel update [ID...] [--force] [options]
       vigil intel add FILE|URL [--format F] [--category C] [--severity S] [--name N] [--every 6h]
       vigil intel remove ID
       vigil intel check VALUE [options]

list     every feed: id, on/off, format, category, indicators, last update and health
         (ok, stale, held back, failing, needs key, pending, off)
update   fetch now, ignoring each feed's cadence (all feeds that are on, or the given ids), and
         say what changed. A running sensor picks the new copies up within a minute.
         --force fetches unconditionally and accepts a copy that shrank by more than 90 %.
add      add a list of your own: a local file (read in place, re-read when it changes) or an
         http(s) URL. --format (default: detected) is one of plain, firehol, hosts, domains,
         abusech-csv, zeek-intel, maltrail, ipsum, tor-exits, spamhaus, stix, misp, misp-csv;
         --category one of c2, malware, phishing, scanner, tor, hostile, privacy, suspicious
         (default suspicious); --severity info|low|medium|high|critical (default from the
         category); --every how often to fetch a URL (default 6h, at least 5m).
remove   remove a feed you added (built-in feeds are turned off with intel.disabled).
check    is VALUE (an IP, network, domain, URL or hash) listed, and by which feed.

Built-in feeds that need no account are on by default; the abuse.ch feeds (URLhaus, ThreatFox,
SSLBL) turn on when intel.abuseChKey is set; FireHOL level1, StevenBlack and MISP CIRCL are
turned on with intel.enable. See docs/INTEL.md.

Options:
  --config FILE        settings file (default: ./vigil.yaml or /etc/vigil/vigil.yaml if present)
  --data-dir DIR       data directory (default ./data); feeds live in intel.dir or DATA-DIR/intel
  --json               JSON for scripts instead of a table
`;

const OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  format: { type: 'string' },
  category: { type: 'string' },
  severity: { type: 'string' },
  name: { type: 'string' },
  every: { type: 'string' },
} as const;

export async function runIntel(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') {
    // intel-match's lookup command; loaded on use so the other subcommands never depend on it.
    const { runIntelCheck } = await import('../../intel/check.js');
    return runIntelCheck(rest);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    process.stderr.write(`vigil intel: ${(e as Error).message}. Run 'vigil intel --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (sub !== 'list' && sub !== 'update' && sub !== 'add' && sub !== 'remove') {
    process.stderr.write(sub === undefined
      ? `vigil intel: say list, update, add, remove or check. Run 'vigil intel --help'.\n`
      : `vigil intel: unknown subcommand '${sub}'; say list, update, add, remove or check.\n`);
    return 2;
  }
  const addOnly = ['format', 'category', 'severity', 'name', 'every'] as const;
  for (const k of addOnly) {
    if (values[k] !== undefined && sub !== 'add') {
      process.stderr.write(`vigil intel ${sub}: --${k} only goes with 'vigil intel add'.\n`);
      return 2;
    }
  }
  if (values.force && sub !== 'update') {
    process.stderr.write(`vigil intel ${sub}: --force only goes with 'vigil intel update'.\n`);
    return 2;
  }
  const { config } = loadConfig(values.config, { dataDir: values['data-dir'] });
  const feeds = new IntelFeeds({ dir: intelDir(config), config: config.intel });

  if (sub === 'list') {
    if (positionals.length > 0) {
      process.stderr.write(`vigil intel list: unexpected '${positionals[0]}'. Run 'vigil intel --help'.\n`);
      return 2;
    }
    const list = feeds.list();
    if (values.json) {
      process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(listTable(list, new Set(config.intel.disabled)));
    const on = list.filter((f) => f.enabled);
    const total = on.reduce((n, f) => n + f.indicators, 0);
    process.stdout.write(`${on.length} of ${list.length} feeds on, ${total} indicators in their last good copies${config.intel.enabled ? '' : ' (matching is off: intel.enabled is false)'}\n`);
    if (list.some((f) => f.needsKey)) {
      process.stdout.write(`Feeds marked 'needs key' need the free abuse.ch Auth-Key (https://auth.abuse.ch/) in intel.abuseChKey.\n`);
    }
    return 0;
  }

  if (sub === 'remove') {
    if (positionals.length !== 1) {
      process.stderr.write(`vigil intel remove: name one added feed by its id, e.g. vigil intel remove my-list.\n`);
      return 2;
    }
    feeds.remove(positionals[0]);
    process.stdout.write(`${positionals[0]}: removed\n`);
    return 0;
  }

  if (sub === 'add') {
    if (positionals.length !== 1) {
      process.stderr.write(`vigil intel add: give one file or URL, e.g. vigil intel add /etc/vigil/blocklist.txt --category c2.\n`);
      return 2;
    }
    const feed = feeds.add({
      source: positionals[0],
      format: values.format,
      category: values.category,
      severity: values.severity,
      name: values.name,
      every: values.every,
    });
    const report = await feeds.updateAll({ ids: [feed.id] });
    const r = report.feeds[0];
    const local = !/^https?:/i.test(feed.source);
    if (local && r.outcome === 'failed') {
      // A local file that does not read as a list is a typo or the wrong format: don't keep it.
      feeds.remove(feed.id);
      process.stderr.write(`vigil intel add: ${feed.source}: ${r.error}; not added (try --format).\n`);
      return 1;
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ feed, update: r }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(`added ${feed.id} (${feed.format}, ${feed.category}, ${feed.severity}): ${feed.source}\n`);
    process.stdout.write(r.outcome === 'failed'
      ? `first fetch failed: ${r.error}; it is retried on the feed's schedule.\n`
      : `${r.indicators} indicators\n`);
    return 0;
  }

  // update
  const report = await feeds.updateAll({ ids: positionals, force: values.force ?? false });
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const f of report.feeds) process.stdout.write(updateLine(f) + '\n');
    const bad = report.feeds.filter((f) => f.outcome === 'failed' || f.outcome === 'held back').length;
    const changed = report.feeds.filter((f) => f.outcome === 'updated').length;
    process.stdout.write(`${changed} updated, ${report.feeds.length - changed - bad} unchanged, ${bad} with problems; ${report.size} indicators in use\n`);
  }
  return report.feeds.some((f) => f.outcome === 'failed' || f.outcome === 'held back') ? 1 : 0;
}

function updateLine(f: FeedUpdate): string {
  const id = f.id.padEnd(18);
  switch (f.outcome) {
    case 'updated':
      return `${id} updated     ${f.previous} → ${f.indicators} indicators`;
    case 'unchanged':
      return `${id} unchanged   ${f.indicators} indicators`;
    case 'held back':
      return `${id} HELD BACK   ${f.error}`;
    case 'skipped':
      return `${id} skipped     ${f.error}`;
    default:
      return `${id} FAILED      ${f.error}${f.previous > 0 ? `; keeping the last good copy (${f.previous} indicators)` : ''}`;
  }
}

function listTable(list: readonly FeedStatus[], disabled: ReadonlySet<string>): string {
  const rows = list.map((f) => [
    f.id,
    f.enabled ? 'on' : 'off',
    f.format,
    f.category,
    f.indicators > 0 ? f.indicators : '',
    when(f.fetchedAt),
    f.health,
    note(f, disabled.has(f.id)),
  ]);
  return table(['ID', 'ON', 'FORMAT', 'CATEGORY', 'INDICATORS', 'UPDATED', 'HEALTH', 'NOTE'], rows, 72);
}

function note(f: FeedStatus, disabled: boolean): string {
  if (f.needsKey) return 'set intel.abuseChKey';
  if (disabled) return 'in intel.disabled';
  if (!f.enabled) return `optional (intel.enable): ${f.what}`;
  if (f.heldBack) return `new copy had ${f.heldBack.indicators} of ${f.heldBack.previous}: update --force ${f.id} to accept`;
  if (f.error) return f.error;
  return f.origin === 'user' ? f.source : '';
}
