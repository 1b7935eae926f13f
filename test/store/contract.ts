/**
 * The Store contract (rule 6): every implementation passes these tests. `open` must return a
 * fresh, empty store each time, with default options; each test closes what it opened.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsRow, Store } from '../../src/store/store.js';
import { DAY, T0, alert, device, dnsRow, flowRow, item } from './fixtures.js';

export { T0, alert, device, dnsRow, flowRow, item } from './fixtures.js';

/** Registers the contract tests for one implementation. */
export function storeContract(name: string, open: () => Store): void {
  const withStore = (title: string, fn: (s: Store) => void) =>
    test(title, () => {
      const s = open();
      try {
        fn(s);
      } finally {
        s.close();
      }
    });

  describe(`Store contract: ${name}`, () => {
    withStore('a fresh store is empty', (s) => {
      assert.deepEqual(s.devices(), []);
      assert.deepEqual(s.alerts(), []);
      assert.deepEqual(s.flows(), []);
      assert.deepEqual(s.dns(), []);
      assert.deepEqual(s.baselineItems(), []);
      assert.deepEqual(s.baselineProfiles(), []);
      assert.deepEqual(s.hourly(), []);
      const st = s.stats();
      assert.equal(st.flows + st.dns + st.devices + st.alerts, 0);
    });

    withStore('devices round trip with every field, nulls and empty arrays included, and are replaced by MAC', (s) => {
      const full = device({ label: 'TV', sameAs: '02:aa:bb:cc:dd:ee' });
      const bare = device({
        mac: '02:11:22:33:44:55', vendor: null, randomized: true, addresses: [], names: [],
        dhcp: { hostname: null, fqdn: null, vendorClass: null, clientId: null, paramList: null },
        mdnsServices: [], ssdpServers: [], type: null, typeEvidence: [], label: null, sameAs: null,
      });
      s.putDevice(full);
      s.putDevice(bare);
      s.flush();
      assert.deepEqual(s.device(full.mac), full);
      assert.deepEqual(s.device(bare.mac), bare);
      assert.deepEqual(s.devices(), [bare, full]); // ordered by MAC
      assert.equal(s.device('00:00:00:00:00:00'), null);
      // Replaced, not duplicated: a new address, a new name, a later lastSeen.
      const later = device({
        ...full, lastSeen: T0 + 999, addresses: [...full.addresses, { ip: '192.168.1.77', firstSeen: T0 + 900, lastSeen: T0 + 999 }],
        names: [...full.names, { source: 'netbios', name: 'TV', ts: T0 + 900 }],
      });
      s.putDevice(later);
      s.flush();
      assert.deepEqual(s.device(full.mac), later);
      assert.equal(s.devices().length, 2);
      assert.equal(s.stats().devices, 2);
    });

    withStore('labels: set, cleared, unknown device is false, and a device update without a label keeps it', (s) => {
      s.putDevice(device());
      s.flush();
      assert.equal(s.setLabel('aa:bb:cc:00:00:01', 'Kitchen speaker'), true);
      assert.equal(s.device('aa:bb:cc:00:00:01')?.label, 'Kitchen speaker');
      // The inventory re-puts the device (it does not know the owner's label): the label stays.
      s.putDevice(device({ lastSeen: T0 + 500 }));
      s.flush();
      assert.equal(s.device('aa:bb:cc:00:00:01')?.label, 'Kitchen speaker');
      assert.equal(s.device('aa:bb:cc:00:00:01')?.lastSeen, T0 + 500);
      assert.equal(s.setLabel('aa:bb:cc:00:00:01', null), true);
      assert.equal(s.device('aa:bb:cc:00:00:01')?.label, null);
      assert.equal(s.setLabel('de:ad:be:ef:00:00', 'nobody'), false);
      assert.equal(s.device('de:ad:be:ef:00:00'), null);
    });

    withStore('alerts: the same key while open bumps count and lastTs; a closed alert stays closed and a new raise opens a new one', (s) => {
      s.addAlert(alert({ ts: T0 }));
      s.addAlert(alert({ ts: T0 + 30 }));
      s.addAlert(alert({ ts: T0 + 10, severity: 'high' }));
      s.flush();
      let all = s.alerts();
      assert.equal(all.length, 1);
      const a = all[0];
      assert.equal(a.status, 'open');
      assert.equal(a.count, 3);
      assert.equal(a.firstTs, T0);
      assert.equal(a.ts, T0);
      assert.equal(a.lastTs, T0 + 30); // the latest, even when raises arrive out of order
      assert.equal(a.severity, 'high'); // never downgraded by a repeat
      assert.equal(a.summary, alert().summary);
      assert.deepEqual(a.evidence, alert().evidence);
      assert.equal(a.closedTs, null);
      assert.equal(a.closedReason, null);

      assert.equal(s.closeAlerts({ key: a.key, reason: 'acknowledged', ts: T0 + 100 }), 1);
      s.addAlert(alert({ ts: T0 + 200 }));
      s.flush();
      all = s.alerts();
      assert.equal(all.length, 2);
      const [fresh, closed] = all; // newest first
      assert.equal(closed.id, a.id);
      assert.equal(closed.status, 'closed');
      assert.equal(closed.count, 3);
      assert.equal(closed.closedTs, T0 + 100);
      assert.equal(closed.closedReason, 'acknowledged');
      assert.equal(fresh.status, 'open');
      assert.equal(fresh.count, 1);
      assert.equal(fresh.firstTs, T0 + 200);
      assert.notEqual(fresh.id, a.id);
    });

    withStore('alert queries: status, device, exact and prefix codes, minimum severity, since, limit, newest first', (s) => {
      s.addAlert(alert({ ts: T0, code: 'new_device', severity: 'info', key: 'new_device|a', device: 'aa:aa:aa:aa:aa:aa' }));
      s.addAlert(alert({ ts: T0 + 10, code: 'baseline.new_country', severity: 'medium', key: 'bc|b', device: 'bb:bb:bb:bb:bb:bb' }));
      s.addAlert(alert({ ts: T0 + 20, code: 'baseline.new_port', severity: 'high', key: 'bp|b', device: 'bb:bb:bb:bb:bb:bb' }));
      s.addAlert(alert({ ts: T0 + 30, code: 'sensor.capture_loss', severity: 'critical', key: 'loss', device: null }));
      s.flush();
      const codes = (q: Parameters<Store['alerts']>[0]) => s.alerts(q).map((a) => a.code);
      assert.deepEqual(codes({}), ['sensor.capture_loss', 'baseline.new_port', 'baseline.new_country', 'new_device']);
      assert.deepEqual(codes({ code: 'baseline.' }), ['baseline.new_port', 'baseline.new_country']);
      assert.deepEqual(codes({ code: 'baseline*' }), ['baseline.new_port', 'baseline.new_country']);
      assert.deepEqual(codes({ code: 'baseline.new_port' }), ['baseline.new_port']);
      assert.deepEqual(codes({ code: 'baseline' }), []); // exact: no such code
      assert.deepEqual(codes({ device: 'bb:bb:bb:bb:bb:bb' }), ['baseline.new_port', 'baseline.new_country']);
      assert.deepEqual(codes({ minSeverity: 'high' }), ['sensor.capture_loss', 'baseline.new_port']);
      assert.deepEqual(codes({ since: T0 + 20 }), ['sensor.capture_loss', 'baseline.new_port']);
      assert.deepEqual(codes({ limit: 2 }), ['sensor.capture_loss', 'baseline.new_port']);
      assert.equal(s.closeAlerts({ code: 'baseline.', reason: 'accepted as normal', ts: T0 + 40 }), 2);
      assert.deepEqual(codes({ status: 'open' }), ['sensor.capture_loss', 'new_device']);
      assert.deepEqual(codes({ status: 'closed' }), ['baseline.new_port', 'baseline.new_country']);
      assert.equal(s.closeAlerts({ device: 'aa:aa:aa:aa:aa:aa', reason: 'acknowledged', ts: T0 + 41 }), 1);
      assert.equal(s.closeAlerts({ device: 'aa:aa:aa:aa:aa:aa', reason: 'acknowledged', ts: T0 + 42 }), 0); // already closed
      assert.deepEqual(codes({ status: 'open' }), ['sensor.capture_loss']);
      assert.equal(s.stats().alerts, 4);
    });

    withStore('baseline items and profiles round trip; a put replaces the same (device, kind, value)', (s) => {
      const items = [
        item(),
        item({ kind: 'domain', value: 'youtube.com', state: 'accepted' }),
        item({ device: 'bb:bb:bb:bb:bb:bb', kind: 'listener', value: 'tcp/8080', state: 'alerted' }),
      ];
      for (const i of items) s.putBaselineItem(i);
      s.putBaselineProfile({ device: 'aa:bb:cc:00:00:01', data: '{"learningEnds":1717804800}' });
      s.putBaselineProfile({ device: 'bb:bb:bb:bb:bb:bb', data: '{}' });
      s.flush();
      assert.deepEqual(s.baselineItems(), [items[0], items[1], items[2]].sort((a, b) => (a.device + a.kind + a.value).localeCompare(b.device + b.kind + b.value)));
      assert.deepEqual(s.baselineItems('bb:bb:bb:bb:bb:bb'), [items[2]]);
      const bumped = item({ lastSeen: T0 + 500, count: 9 });
      s.putBaselineItem(bumped);
      s.putBaselineProfile({ device: 'aa:bb:cc:00:00:01', data: '{"learningEnds":1}' });
      s.flush();
      assert.deepEqual(s.baselineItems('aa:bb:cc:00:00:01').find((i) => i.kind === 'country'), bumped);
      assert.equal(s.baselineItems().length, 3);
      assert.deepEqual(s.baselineProfiles(), [
        { device: 'aa:bb:cc:00:00:01', data: '{"learningEnds":1}' },
        { device: 'bb:bb:bb:bb:bb:bb', data: '{}' },
      ]);
    });

    withStore('flows round trip with every field, for each direction and with nulls', (s) => {
      const rows = [
        flowRow({ ts: T0 + 1 }),
        flowRow({ ts: T0 + 2, uid: 'Cin', direction: 'in', origH: '203.0.113.9', respH: '192.168.1.20', remoteIp: '203.0.113.9', device: 'aa:bb:cc:00:00:02' }),
        flowRow({ ts: T0 + 3, uid: 'Clocal', direction: 'local', respH: '192.168.1.30', remoteIp: '192.168.1.30', remoteCountry: null, remoteAsn: null, remoteAsOrg: null, remoteName: null, remoteDomain: null }),
        flowRow({ ts: T0 + 4, uid: 'Cext', direction: 'external', device: null, origMac: '', respMac: '', origH: '198.51.100.1', remoteIp: '198.51.100.7', service: '', duration: 0, history: '' }),
        flowRow({ ts: T0 + 5.123456, uid: 'Cv6', proto: 'udp', origH: 'fe80::1', respH: '2001:db8::53', remoteIp: '2001:db8::53', origMac: 'AA:BB:CC:00:00:09', device: 'AA:BB:CC:00:00:09', origP: 0, respP: 65535 }),
      ];
      for (const r of rows) s.addFlow(r);
      s.flush();
      assert.deepEqual(s.flows(), [...rows].reverse());
      assert.equal(s.stats().flows, rows.length);
    });

    withStore('flow queries: since (inclusive), until (exclusive), device, limit; newest first', (s) => {
      for (let i = 0; i < 20; i++) s.addFlow(flowRow({ ts: T0 + i * 60, uid: 'C' + i, device: i % 2 ? 'aa:bb:cc:00:00:02' : 'aa:bb:cc:00:00:01' }));
      s.flush();
      const uids = (q: Parameters<Store['flows']>[0]) => s.flows(q).map((f) => f.uid);
      assert.deepEqual(uids({ since: T0 + 17 * 60 }), ['C19', 'C18', 'C17']);
      assert.deepEqual(uids({ since: T0 + 60, until: T0 + 4 * 60 }), ['C3', 'C2', 'C1']);
      assert.deepEqual(uids({ device: 'aa:bb:cc:00:00:02', since: T0 + 12 * 60 }), ['C19', 'C17', 'C15', 'C13']);
      assert.deepEqual(uids({ device: 'aa:bb:cc:00:00:01', limit: 2 }), ['C18', 'C16']);
      assert.deepEqual(uids({ limit: 1 }), ['C19']);
      assert.deepEqual(uids({ device: 'ff:ff:ff:ff:ff:ff' }), []);
      assert.equal(s.flows().length, 20);
    });

    withStore('DNS rows round trip and queries: since, until, device, limit', (s) => {
      const rows: DnsRow[] = [];
      for (let i = 0; i < 10; i++) {
        rows.push(dnsRow({ ts: T0 + i * 120, uid: 'D' + i, query: `host${i}.example.com`, device: i < 5 ? 'aa:bb:cc:00:00:01' : null, answers: i % 3 ? ['10.0.0.' + i] : [] }));
      }
      for (const r of rows) s.addDns(r);
      s.flush();
      assert.deepEqual(s.dns(), [...rows].reverse());
      const uids = (q: Parameters<Store['dns']>[0]) => s.dns(q).map((d) => d.uid);
      assert.deepEqual(uids({ since: T0 + 7 * 120 }), ['D9', 'D8', 'D7']);
      assert.deepEqual(uids({ until: T0 + 2 * 120 }), ['D1', 'D0']);
      assert.deepEqual(uids({ device: 'aa:bb:cc:00:00:01', limit: 2 }), ['D4', 'D3']);
      assert.equal(s.stats().dns, 10);
    });

    withStore('hourly rollups sum bytes and flows per device per hour, seen from the device', (s) => {
      const A = 'aa:bb:cc:00:00:01';
      const B = 'aa:bb:cc:00:00:02';
      s.addFlow(flowRow({ ts: T0 + 10, device: A, origBytes: 100, respBytes: 1000 }));
      s.addFlow(flowRow({ ts: T0 + 3599, device: A, origBytes: 5, respBytes: 7 }));
      // Inbound: the device is the responder, so what it sent is respBytes.
      s.addFlow(flowRow({ ts: T0 + 20, device: A, direction: 'in', origH: '203.0.113.9', remoteIp: '203.0.113.9', origBytes: 40, respBytes: 4 }));
      s.addFlow(flowRow({ ts: T0 + 3600, device: A, origBytes: 1, respBytes: 2 })); // next hour
      s.addFlow(flowRow({ ts: T0 + 30, device: B, direction: 'local', origBytes: 9, respBytes: 8 }));
      s.addFlow(flowRow({ ts: T0 + 40, device: null, direction: 'external', origBytes: 1e6, respBytes: 1e6 })); // no device: no rollup
      s.flush();
      assert.deepEqual(s.hourly(), [
        { device: A, hour: T0, bytesOut: 100 + 5 + 4, bytesIn: 1000 + 7 + 40, flows: 3 },
        { device: A, hour: T0 + 3600, bytesOut: 1, bytesIn: 2, flows: 1 },
        { device: B, hour: T0, bytesOut: 9, bytesIn: 8, flows: 1 },
      ]);
      assert.deepEqual(s.hourly(B), [{ device: B, hour: T0, bytesOut: 9, bytesIn: 8, flows: 1 }]);
      assert.deepEqual(s.hourly(A, T0 + 3700), [{ device: A, hour: T0 + 3600, bytesOut: 1, bytesIn: 2, flows: 1 }]);
      // Later flows in the same hour add to the stored sums.
      s.addFlow(flowRow({ ts: T0 + 100, device: B, direction: 'local', origBytes: 1, respBytes: 2 }));
      s.flush();
      assert.deepEqual(s.hourly(B), [{ device: B, hour: T0, bytesOut: 10, bytesIn: 10, flows: 2 }]);
    });

    withStore('retention deletes old flows, DNS rows and closed alerts by packet time, never devices, baseline or open alerts', (s) => {
      const now = T0 + 200 * DAY;
      for (let d = 0; d <= 40; d += 5) {
        s.addFlow(flowRow({ ts: now - d * DAY, uid: 'F' + d }));
        s.addDns(dnsRow({ ts: now - d * DAY, uid: 'D' + d, query: `q${d}.example` }));
      }
      s.putDevice(device({ firstSeen: T0, lastSeen: T0 + 1 })); // seen 200 days ago
      s.putBaselineItem(item({ lastSeen: T0 }));
      s.putBaselineProfile({ device: 'aa:bb:cc:00:00:01', data: '{}' });
      s.addAlert(alert({ ts: T0, key: 'old-open' }));
      s.addAlert(alert({ ts: T0, key: 'old-closed' }));
      s.addAlert(alert({ ts: now - 10 * DAY, key: 'recent-closed' }));
      s.flush();
      s.closeAlerts({ key: 'old-closed', reason: 'acknowledged', ts: T0 + 1 });
      s.closeAlerts({ key: 'recent-closed', reason: 'acknowledged', ts: now - 9 * DAY });
      const before = s.stats();
      const removed = s.retain(now);
      // Flows and DNS: 35 and 40 days old go (30-day windows); 30 days old is exactly at the edge and stays.
      assert.deepEqual(s.flows().map((f) => f.uid), ['F0', 'F5', 'F10', 'F15', 'F20', 'F25', 'F30']);
      assert.deepEqual(s.dns().map((d) => d.uid), ['D0', 'D5', 'D10', 'D15', 'D20', 'D25', 'D30']);
      assert.deepEqual(s.alerts().map((a) => a.key).sort(), ['old-open', 'recent-closed']);
      assert.equal(s.devices().length, 1);
      assert.equal(s.baselineItems().length, 1);
      assert.equal(s.baselineProfiles().length, 1);
      assert.ok(removed >= 2 + 2 + 1, `retain() reports what it removed (${removed})`);
      const after = s.stats();
      assert.equal(after.flows, before.flows - 2);
      assert.equal(after.dns, before.dns - 2);
      assert.ok(after.rowsRetired >= 5);
      assert.equal(s.retain(now), 0); // nothing more to do
    });

    withStore('stats count rows and transactions', (s) => {
      const st0 = s.stats();
      s.addFlow(flowRow());
      s.addDns(dnsRow());
      s.putDevice(device());
      s.addAlert(alert());
      s.flush();
      const st = s.stats();
      assert.equal(st.flows, 1);
      assert.equal(st.dns, 1);
      assert.equal(st.devices, 1);
      assert.equal(st.alerts, 1);
      assert.ok(st.rowsWritten >= st0.rowsWritten + 4);
      assert.ok(st.transactions > st0.transactions);
      assert.ok(st.fileBytes > 0);
      assert.equal(typeof st.path, 'string');
    });

    withStore('commands queue in order and are finished with a result', (s) => {
      assert.deepEqual(s.pendingCommands(), []);
      const a = s.enqueueCommand('baseline.accept', JSON.stringify({ device: 'aa:bb:cc:dd:ee:ff' }));
      const b = s.enqueueCommand('devices.label', '{}');
      assert.ok(b > a);
      const pending = s.pendingCommands();
      assert.deepEqual(pending.map((c) => [c.id, c.kind, c.done]), [[a, 'baseline.accept', false], [b, 'devices.label', false]]);
      assert.equal(JSON.parse(pending[0].body).device, 'aa:bb:cc:dd:ee:ff');
      s.finishCommand(a, '{"ok":true}');
      assert.deepEqual(s.pendingCommands().map((c) => c.id), [b]);
      const done = s.command(a);
      assert.equal(done?.done, true);
      assert.equal(done?.result, '{"ok":true}');
      assert.equal(s.command(9999), null);
    });
  });
}
