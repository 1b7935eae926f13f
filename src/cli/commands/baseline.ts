/**
 * `vigil baseline status [DEVICE]`: what each device has learned as normal.
 * `vigil baseline accept DEVICE [KIND [VALUE]]`: "this is normal": the baseline learns it and the
 * matching open alerts are closed.
 */
import { parseArgs } from 'node:util';
import { STORE_HELP, STORE_OPTIONS, openStoreFromArgs } from '../store-args.js';
import { table, when } from '../table.js';
import { parseAcceptSpec } from '../../baseline/accept-spec.js';
import { acceptDeviation, loadBaselines, type AcceptOutcome } from '../../sensor/accept.js';
import { acceptThroughSensor, runningSensor } from '../../sensor/commands.js';
import { VigilError } from '../../util/errors.js';

export const BASELINE_HELP = `Usage: vigil baseline status [DEVICE] [options]
       vigil baseline accept DEVICE [KIND [VALUE]] [options]

status   what each device has learned: learning or not, how many countries, networks (ASNs),
         domains, services and listeners it uses, its usual hourly volume and active hours, and
         what it did that raised an alert and is not accepted yet.
accept   marks what a device did as normal: the baseline learns it and the matching open alerts
         are closed. KIND is country, asn, domain, service, listener, volume or hours; without a
         VALUE every alerted item of that KIND is accepted; without a KIND, everything alerted
         for the device. DEVICE is a MAC address (or a unique start of one).

Examples:
  vigil baseline accept aa:bb:cc:dd:ee:ff country RU
  vigil baseline accept aa:bb:cc:dd:ee:ff service tcp/8883
  vigil baseline accept aa:bb:cc:dd:ee:ff volume

Options:
${STORE_HELP}
`;

export async function runBaseline(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: STORE_OPTIONS });
  } catch (e) {
    process.stderr.write(`vigil baseline: ${(e as Error).message}. Run 'vigil baseline --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, device, kind, value] = positionals;
  if (sub !== 'status' && sub !== 'accept') {
    process.stderr.write(`vigil baseline: say 'status' or 'accept'. Run 'vigil baseline --help'.\n`);
    return 2;
  }
  if (sub === 'accept' && !device) {
    process.stderr.write(`vigil baseline accept: name the device (its MAC), e.g. vigil baseline accept aa:bb:cc:dd:ee:ff country RU.\n`);
    return 2;
  }
  const { store, config, path } = openStoreFromArgs(values);
  try {
    const mac = device ? resolveDevice(device, store.devices().map((d) => d.mac)) : undefined;
    if (sub === 'accept') {
      const spec = parseAcceptSpec(kind, value);
      // A running sensor owns the baselines in memory: it must apply the change itself.
      const sensor = runningSensor(path);
      let r: AcceptOutcome;
      if (sensor !== null) {
        const answer = await acceptThroughSensor(store, { device: mac as string, spec });
        if (answer === null) {
          process.stderr.write(`vigil baseline accept: the running sensor (pid ${sensor}) did not answer within 10 s; it will apply the request when it catches up.\n`);
          return 1;
        }
        if ('error' in answer) throw new VigilError('VIGIL_ERR_USAGE', answer.error);
        r = answer;
      } else {
        r = acceptDeviation(store, config, mac as string, spec);
      }
      if (values.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      } else if (r.accepted.length === 0) {
        process.stdout.write(`nothing to accept for ${r.device}: no alerted ${kind ?? 'item'}${value ? ` ${value}` : ''}.\n`);
      } else {
        process.stdout.write(`accepted as normal for ${r.device}: ${r.accepted.join(', ')}; ${r.closed} alert${r.closed === 1 ? '' : 's'} closed\n`);
      }
      return 0;
    }
    const baselines = loadBaselines(store, config);
    const status = baselines.status(mac);
    if (values.json) {
      process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      return 0;
    }
    if (status.length === 0) {
      process.stdout.write(mac ? `${mac} has no baseline yet.\n` : 'no baselines yet: no device has talked yet.\n');
      return 0;
    }
    const mb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.round(b / 1e3)} kB`);
    const rows = status.map((s) => [
      s.device,
      s.name,
      s.learning ? `until ${when(s.learningUntil)}` : 'done',
      s.items.country.learned + s.items.country.accepted,
      s.items.asn.learned + s.items.asn.accepted,
      s.items.domain.learned + s.items.domain.accepted,
      s.items.service.learned + s.items.service.accepted,
      `${mb(s.volume.learnedMaxOut)} / ${mb(s.volume.learnedMaxIn)}`,
      s.pending.map((p) => `${p.kind} ${p.value}`).join(', '),
    ]);
    process.stdout.write(table(['DEVICE', 'NAME', 'LEARNING', 'COUNTRIES', 'ASNS', 'DOMAINS', 'SERVICES', 'MAX/HOUR OUT/IN', 'NOT ACCEPTED'], rows, 60));
    return 0;
  } finally {
    store.close();
  }
}

/** A MAC, or a unique prefix of a known one. */
function resolveDevice(given: string, known: readonly string[]): string {
  const g = given.toLowerCase().replace(/-/g, ':');
  if (known.includes(g)) return g;
  const matches = known.filter((m) => m.startsWith(g));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new VigilError('VIGIL_ERR_USAGE', `'${given}' matches ${matches.length} devices (${matches.slice(0, 3).join(', ')}…); give more of the MAC.`);
  throw new VigilError('VIGIL_ERR_NOT_FOUND', `no device '${given}'; 'vigil devices' lists the known ones.`);
}
