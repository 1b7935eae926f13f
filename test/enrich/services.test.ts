import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_SERVICE_COUNT, parseServices, serviceName, useServicesFile } from '../../src/enrich/services.js';

test('built-in names for well-known and IoT/ICS ports', () => {
  const cases: Array<['tcp' | 'udp', number, string]> = [
    ['tcp', 22, 'ssh'], ['tcp', 23, 'telnet'], ['tcp', 2323, 'telnet'], ['tcp', 80, 'http'], ['tcp', 443, 'https'], ['udp', 443, 'quic'],
    ['tcp', 53, 'dns'], ['udp', 53, 'dns'], ['udp', 5353, 'mdns'], ['udp', 1900, 'ssdp'], ['udp', 137, 'netbios-ns'], ['tcp', 445, 'smb'],
    ['tcp', 1883, 'mqtt'], ['tcp', 8883, 'mqtts'], ['udp', 5683, 'coap'], ['tcp', 554, 'rtsp'], ['tcp', 502, 'modbus'], ['tcp', 20000, 'dnp3'],
    ['udp', 47808, 'bacnet'], ['udp', 123, 'ntp'], ['tcp', 3389, 'rdp'], ['tcp', 5900, 'vnc'], ['udp', 5060, 'sip'], ['tcp', 8009, 'googlecast'],
    ['tcp', 6668, 'tuya'], ['tcp', 9999, 'tplink-shp'], ['tcp', 7547, 'tr-069'], ['udp', 67, 'dhcp'],
  ];
  for (const [p, port, name] of cases) assert.equal(serviceName(p, port), name, `${p}/${port}`);
  // Protocol matters: no TCP NTP, no UDP SSH in the table.
  assert.equal(serviceName('udp', 1883), null);
  assert.ok(BUILTIN_SERVICE_COUNT >= 100, String(BUILTIN_SERVICE_COUNT));
});

test('/etc/services fills in the rest; the built-in name wins', () => {
  const sys = parseServices(readFileSync('/etc/services', 'latin1'));
  assert.equal(sys.tcp.get(53), 'domain'); // IANA's name …
  assert.equal(serviceName('tcp', 53), 'dns'); // … ours wins
  // Some TCP port only /etc/services names.
  const only = [...sys.tcp].find(([port]) => serviceName('tcp', port) === sys.tcp.get(port) && ![22, 23, 25, 80].includes(port) && port > 1000);
  assert.ok(only, 'no /etc/services-only entry found');
  assert.equal(serviceName('tcp', only[0]), only[1]);
  assert.equal(serviceName('tcp', 65000), sys.tcp.get(65000) ?? null);
  assert.equal(serviceName('tcp', -1), null);
  assert.equal(serviceName('udp', 70000), null);
});

test('parseServices: comments, aliases, first name wins, junk skipped; a services file elsewhere', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-services-'));
  try {
    const file = join(dir, 'services');
    writeFileSync(file, '# comment\nfoo\t40001/tcp\tfoo-alias  # a comment\nbar 40001/tcp\nbaz 40001/udp\nbroken line\nhuge 99999/tcp\n   \n');
    const t = parseServices(readFileSync(file, 'latin1'));
    assert.equal(t.tcp.get(40001), 'foo');
    assert.equal(t.udp.get(40001), 'baz');
    assert.equal(t.tcp.size, 1);
    useServicesFile(file);
    assert.equal(serviceName('tcp', 40001), 'foo');
    assert.equal(serviceName('tcp', 22), 'ssh');
    useServicesFile(join(dir, 'missing'));
    assert.equal(serviceName('tcp', 40001), null); // no file: built-in table only, no throw
    assert.equal(serviceName('tcp', 443), 'https');
  } finally {
    useServicesFile('/etc/services');
    rmSync(dir, { recursive: true, force: true });
  }
});
