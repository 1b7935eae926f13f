#!/usr/bin/env node
/**
 * The `vigil` command. Thin: parses arguments and calls into the library.
 */
import { runAnalyze, ANALYZE_HELP } from './commands/analyze.js';
import { runRun, RUN_HELP } from './commands/run.js';
import { runDevices, DEVICES_HELP } from './commands/devices.js';
import { runAlerts, ALERTS_HELP } from './commands/alerts.js';
import { runBaseline, BASELINE_HELP } from './commands/baseline.js';
import { runDoctor, DOCTOR_HELP } from './commands/doctor.js';
import { runIntel, INTEL_HELP } from './commands/intel.js';
import { isVigilError } from '../util/errors.js';

const VERSION = '0.1.0';

const HELP = `vigil ${VERSION} — network security monitor for home and small IoT/ICS networks

Usage: vigil <command> [options]

Commands:
  run               the live sensor: capture, know every device, learn its normal, raise alerts
  devices           list the devices seen (and 'devices label MAC NAME' to name one)
  alerts            list alerts (and 'alerts close ID' to mark them handled)
  baseline          what each device has learned ('baseline status'); 'baseline accept' marks
                    a deviation as normal
  intel             threat-intelligence feeds: list, update, add, check VALUE
  doctor            check the sensor's placement, privileges, disk and clock
  analyze FILE...   read captures (pcap, pcapng, gzip, or - for stdin) and write Zeek-style logs;
                    with --db, replay them into the database as the live sensor would
  help [COMMAND]    show help for a command
  version           print the version

Run 'vigil <command> --help' for a command's options.
`;

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<number> }> = {
  run: { help: RUN_HELP, run: runRun },
  devices: { help: DEVICES_HELP, run: runDevices },
  alerts: { help: ALERTS_HELP, run: runAlerts },
  baseline: { help: BASELINE_HELP, run: runBaseline },
  intel: { help: INTEL_HELP, run: runIntel },
  doctor: { help: DOCTOR_HELP, run: runDoctor },
  analyze: { help: ANALYZE_HELP, run: runAnalyze },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === 'version' || cmd === '--version') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  if (cmd === 'help') {
    const c = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(c ? c.help : HELP);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`vigil: unknown command '${cmd}'. Run 'vigil --help' for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(c.help);
    return 0;
  }
  return c.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isVigilError(e)) {
      process.stderr.write(`vigil: ${e.message} [${e.code}]\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`vigil: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
