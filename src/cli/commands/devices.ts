/**
 * `vigil devices`: what is on the network. `vigil devices label MAC NAME` names one.
 */
import { parseArgs } from 'node:util';
import { STORE_HELP, STORE_OPTIONS, openStoreFromArgs } from '../store-args.js';
import { table, when } from '../table.js';
import { displayName, type Device } from '../../device/device.js';

export const DEVICES_HELP = `Usage: vigil devices [options]
       vigil devices label MAC NAME     give a device a name of your own ('' removes it)

Lists every device the sensor has seen: MAC, vendor, name, likely type, addresses, first and
last seen.

Options:
${STORE_HELP}
`;

export async function runDevices(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: STORE_OPTIONS });
  } catch (e) {
    process.stderr.write(`vigil devices: ${(e as Error).message}. Run 'vigil devices --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'label') {
    if (positionals.length !== 3) {
      process.stderr.write(`vigil devices label: give a MAC and a name, e.g. vigil devices label aa:bb:cc:dd:ee:ff "Living-room TV".\n`);
      return 2;
    }
    const mac = positionals[1].toLowerCase();
    const { store } = openStoreFromArgs(values);
    try {
      if (!store.setLabel(mac, positionals[2] === '' ? null : positionals[2])) {
        process.stderr.write(`vigil devices label: no device ${mac}; 'vigil devices' lists the known ones.\n`);
        return 1;
      }
    } finally {
      store.close();
    }
    process.stdout.write(positionals[2] === '' ? `${mac}: label removed\n` : `${mac} is now "${positionals[2]}"\n`);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`vigil devices: unknown argument '${positionals[0]}'. Run 'vigil devices --help'.\n`);
    return 2;
  }
  const { store } = openStoreFromArgs(values);
  let devices: Device[];
  try {
    devices = store.devices();
  } finally {
    store.close();
  }
  devices.sort((a, b) => b.lastSeen - a.lastSeen);
  if (values.json) {
    process.stdout.write(JSON.stringify(devices, null, 2) + '\n');
    return 0;
  }
  if (devices.length === 0) {
    process.stdout.write('no devices yet: the sensor has not seen any local traffic.\n');
    return 0;
  }
  const rows = devices.map((d) => [
    d.mac,
    displayName(d),
    d.vendor ?? (d.randomized ? '(random MAC)' : ''),
    d.type ?? '',
    [...d.addresses].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, 2).map((a) => a.ip).join(' '),
    when(d.firstSeen),
    when(d.lastSeen),
  ]);
  process.stdout.write(table(['MAC', 'NAME', 'VENDOR', 'TYPE', 'ADDRESSES', 'FIRST SEEN', 'LAST SEEN'], rows));
  process.stdout.write(`${devices.length} device${devices.length === 1 ? '' : 's'}\n`);
  return 0;
}
