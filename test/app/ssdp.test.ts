import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSsdpFactory } from '../../src/decode/app/ssdp/index.js';
import { MAX_HEADERS } from '../../src/decode/app/ssdp/parser.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';
import { truncateAndFlipDatagram } from '../helpers/robustness.js';

function run(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  const conn = testConn({ origP: 40000, respH: '239.255.255.250', respP: 1900 });
  return { a: createSsdpFactory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, text: string | Buffer, ts = 1): void {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  a.deliver(true, b, 0, b.length, ts);
}

const NOTIFY = 'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=120\r\n'
  + 'lOCATION: http://192.168.1.1:7406/rootDesc.xml\r\nSERVER: UPnP/Tomato 1.28 UPnP/1.0 MiniUPnPd/1.6\r\n'
  + 'NT: upnp:rootdevice\r\nUSN: uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice\r\n'
  + 'NTS: ssdp:alive\r\n\r\n';

test('NOTIFY: identifying headers, case-insensitive names', () => {
  const { a, sink } = run();
  send(a, NOTIFY, 7);
  const logs = sink.logs.filter((l) => l.path === 'ssdp');
  assert.equal(logs.length, 1);
  assert.equal(logs[0].ts, 7);
  assert.deepEqual(logs[0].fields, {
    method: 'NOTIFY',
    server: 'UPnP/Tomato 1.28 UPnP/1.0 MiniUPnPd/1.6',
    usn: 'uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice',
    location: 'http://192.168.1.1:7406/rootDesc.xml',
    nt: 'upnp:rootdevice',
    nts: 'ssdp:alive',
  });
  assert.equal(a.confirmed, true);
  assert.deepEqual(sink.weirds, []);
});

test('M-SEARCH with bare LF line ends and padded values; RESPONSE with ST', () => {
  const { a, sink } = run();
  send(a, 'M-SEARCH * HTTP/1.1\nHOST: 239.255.255.250:1900\nMAN: "ssdp:discover"\nMX: 1\n'
    + 'ST:   urn:dial-multiscreen-org:service:dial:1  \nUSER-AGENT: Google Chrome/120.0 Windows\n\n');
  send(a, 'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://10.0.0.7:8008/ssdp/device-desc.xml\r\n'
    + 'SERVER: Linux/3.8.13, UPnP/1.0, Portable SDK for UPnP devices/1.6.18\r\nST: urn:dial-multiscreen-org:service:dial:1\r\n'
    + 'USN: uuid:1234::urn:dial-multiscreen-org:service:dial:1\r\n\r\n');
  const [s, r] = sink.of('ssdp');
  assert.deepEqual(s, { method: 'M-SEARCH', st: 'urn:dial-multiscreen-org:service:dial:1', user_agent: 'Google Chrome/120.0 Windows' });
  assert.equal(r.method, 'RESPONSE');
  assert.equal(r.location, 'http://10.0.0.7:8008/ssdp/device-desc.xml');
  assert.equal(r.server, 'Linux/3.8.13, UPnP/1.0, Portable SDK for UPnP devices/1.6.18');
  assert.equal(r.usn, 'uuid:1234::urn:dial-multiscreen-org:service:dial:1');
});

test('a bare start line still counts (Plex GDM sends just that)', () => {
  const { a, sink } = run();
  send(a, 'M-SEARCH * HTTP/1.1\r\n');
  assert.deepEqual(sink.of('ssdp'), [{ method: 'M-SEARCH' }]);
});

test('headers after the blank line are body, not headers; first occurrence wins', () => {
  const { a, sink } = run();
  send(a, 'NOTIFY * HTTP/1.1\r\nNT: first\r\nNT: second\r\n\r\nUSN: not-a-header\r\n');
  assert.deepEqual(sink.of('ssdp'), [{ method: 'NOTIFY', nt: 'first' }]);
});

test('sniff recognises the two request lines only', () => {
  const f = createSsdpFactory();
  const b = (s: string): Buffer => Buffer.from(s);
  assert.equal(f.sniff?.(true, b('M-SEARCH * HTTP/1.1\r\n'), 0, 21), true);
  assert.equal(f.sniff?.(true, b('NOTIFY * HTTP/1.1\r\n'), 0, 19), true);
  assert.equal(f.sniff?.(true, b('GET / HTTP/1.1\r\n'), 0, 16), false);
  assert.equal(f.sniff?.(true, b('M-SEARCH'), 0, 8), false);
  assert.deepEqual([f.service, f.udp, f.tcp, f.ports], ['ssdp', true, false, [1900]]);
});

test('caps: header count, header block, user agent length', () => {
  const { a, sink } = run();
  let many = 'NOTIFY * HTTP/1.1\r\n';
  for (let i = 0; i < MAX_HEADERS + 5; i++) many += 'X-' + i + ': y\r\n';
  many += 'NT: too-late\r\n\r\n';
  send(a, many);
  assert.equal(sink.of('ssdp')[0].nt, undefined);
  assert.equal(sink.counters.get('decoder.ssdp.headers_capped'), 1);

  send(a, 'NOTIFY * HTTP/1.1\r\nX-Pad: ' + 'p'.repeat(9000) + '\r\nNT: beyond\r\n\r\n');
  assert.equal(sink.of('ssdp')[1].nt, undefined);
  assert.equal(sink.counters.get('decoder.ssdp.header_block_capped'), 1);

  send(a, 'M-SEARCH * HTTP/1.1\r\nUSER-AGENT: ' + 'u'.repeat(2000) + '\r\nST: ' + 's'.repeat(1000) + '\r\n\r\n');
  const rec = sink.of('ssdp')[2];
  assert.equal((rec.user_agent as string).length, 512);
  assert.equal((rec.st as string).length, 256);
});

test('hostile values are escaped; non-SSDP is a weird and the flow is given up', () => {
  const { a, sink } = run();
  send(a, Buffer.concat([Buffer.from('NOTIFY * HTTP/1.1\r\nSERVER: <script>\x1b[31m'), Buffer.from([0xff]), Buffer.from('\r\n\r\n')]));
  assert.equal(sink.of('ssdp')[0].server, '<script>\\x1b[31m\\xff');
  const g = run();
  for (let i = 0; i < 4; i++) send(g.a, '<?xml version="1.0"?><soap:Envelope/>');
  assert.equal(g.a.done, true);
  assert.equal(g.a.confirmed, false);
  assert.deepEqual(g.sink.weirds.map((w) => w.name), new Array(4).fill('ssdp_bad_start_line'));
  const h = run();
  send(h.a, 'NOTIFY * HTTP/1.1\r\nno colon here\r\n\r\n');
  assert.deepEqual(h.sink.weirds.map((w) => w.name), ['ssdp_bad_header_line']);
  assert.equal(h.sink.of('ssdp').length, 1);
});

test('truncation at every length and bit flips never throw', () => {
  const full = Buffer.from(NOTIFY);
  truncateAndFlipDatagram(full, (msg) => {
    const { a } = run();
    assert.doesNotThrow(() => { send(a, msg); a.finish(2); });
  }, 7);
});
