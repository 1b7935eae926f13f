/**
 * The SQLite store: the shared contract on a real file, then what is specific to this
 * implementation (file settings, migrations, budgets, batching, the slow lane, failed commits on
 * a really full disk, retention chunks and the size cap, time-ordered rowids).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openStore, type StoreOptions } from '../../src/store/open.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from '../../src/store/sqlite/schema.js';
import { MAX_LAG_S } from '../../src/store/sqlite/time-ids.js';
import { TokenBucket } from '../../src/store/sqlite/token-bucket.js';
import { VigilError } from '../../src/util/errors.js';
import { storeContract } from './contract.js';
import { DAY, T0, alert, device, dnsRow, flowRow, item } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const fresh = (name = 'db') => join(root, `${name}-${seq++}`, 'vigil.db');
const open = (o: Partial<StoreOptions> = {}) => openStore({ path: fresh(), ...o });

/** A second connection, as another process (the CLI) would read the file. */
function peek<T>(path: string, sql: string): T {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).get() as T;
  } finally {
    db.close();
  }
}
const countIn = (path: string, table: string) => peek<{ n: number }>(path, `SELECT count(*) AS n FROM ${table}`).n;

/** Polls until `cond` holds (timers fire late on a loaded machine); false after `ms`. */
async function waitFor(cond: () => boolean, ms = 3_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await sleep(10);
  }
}

storeContract('sqlite file', () => open().store);
storeContract('sqlite :memory:', () => openStore({ path: ':memory:' }).store);

describe('sqlite store: the file', () => {
  test('creates parent directories, WAL, 1 KiB pages and the current schema version', () => {
    const path = join(root, 'a', 'b', 'c', 'vigil.db');
    const { store, recovered } = openStore({ path });
    assert.equal(recovered, null);
    store.putDevice(device());
    store.flush();
    assert.equal(peek<{ journal_mode: string }>(path, 'PRAGMA journal_mode').journal_mode, 'wal');
    assert.equal(peek<{ page_size: number }>(path, 'PRAGMA page_size').page_size, 1024);
    assert.equal(peek<{ user_version: number }>(path, 'PRAGMA user_version').user_version, SCHEMA_VERSION);
    store.close();
  });

  test('data survives close and reopen; new rows are stored after the old ones', () => {
    const path = fresh();
    let { store } = openStore({ path });
    store.addFlow(flowRow({ ts: T0, uid: 'old' }));
    store.putDevice(device());
    store.addAlert(alert());
    store.close(); // commits what is queued
    ({ store } = openStore({ path }));
    assert.deepEqual(store.flows().map((f) => f.uid), ['old']);
    assert.deepEqual(store.device(device().mac), device());
    assert.equal(store.alerts()[0].count, 1);
    // A row whose end is before the newest stored one still comes after it (stored order).
    store.addFlow(flowRow({ ts: T0 - 5, uid: 'new', duration: 0 }));
    store.addAlert(alert({ ts: T0 + 1 }));
    store.flush();
    assert.deepEqual(store.flows().map((f) => f.uid), ['new', 'old']);
    assert.equal(store.alerts()[0].count, 2); // dedup across restarts
    store.close();
    assert.throws(() => store.flush(), (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_USAGE');
  });

  test('a file from a newer Vigil is refused, untouched, with a sentence saying to upgrade', () => {
    const path = fresh();
    openStore({ path }).store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = readFileSync(path);
    assert.throws(
      () => openStore({ path }),
      (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_STORE_OPEN' && /newer Vigil/.test(e.message) && /upgrade Vigil/.test(e.message),
    );
    assert.deepEqual(readFileSync(path), bytes);
  });

  test('migrations run in order from the file version, each in its own transaction; a failing one leaves the file at the previous version', () => {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    const v1: Migration = { name: 't', up: (d) => d.exec('CREATE TABLE t (a INTEGER)') };
    const v2: Migration = { name: 't.b', up: (d) => d.exec('ALTER TABLE t ADD COLUMN b TEXT DEFAULT \'x\'') };
    const bad: Migration = {
      name: 'bad',
      up: (d) => {
        d.exec('CREATE TABLE half (a)');
        d.exec('THIS IS NOT SQL');
      },
    };
    const db = new Database(path);
    assert.equal(migrate(db, [v1]), 0);
    db.exec('INSERT INTO t (a) VALUES (7)');
    assert.equal(migrate(db, [v1, v2]), 1); // only v2 runs
    assert.deepEqual(db.prepare('SELECT a, b FROM t').all(), [{ a: 7, b: 'x' }]);
    assert.equal(db.pragma('user_version', { simple: true }), 2);
    assert.throws(() => migrate(db, [v1, v2, bad]));
    assert.equal(db.pragma('user_version', { simple: true }), 2);
    assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get() as { n: number }).n, 0);
    db.close();
    // The shipped list migrates an empty (version 0) file to the current version.
    const path2 = fresh();
    mkdirSync(join(path2, '..'), { recursive: true });
    const db2 = new Database(path2);
    assert.equal(migrate(db2, MIGRATIONS), 0);
    assert.equal(db2.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db2.close();
    const { store } = openStore({ path: path2 });
    store.addFlow(flowRow());
    store.flush();
    assert.equal(store.flows().length, 1);
    store.close();
  });
});

describe('sqlite store: SD-card budget', () => {
  test('flows over the budget are not kept as rows but are counted, and still summed in the hourly rollups', () => {
    const { store } = open({ flowBudget: { perSecond: 2, burst: 5 } });
    for (let i = 0; i < 100; i++) store.addFlow(flowRow({ ts: T0 + i * 0.01, uid: 'A' + i, duration: 0, origBytes: 10, respBytes: 1 }));
    // 10 s of packet time later the bucket has refilled to its burst (5), not to 20.
    for (let i = 0; i < 10; i++) store.addFlow(flowRow({ ts: T0 + 11 + i * 0.01, uid: 'B' + i, duration: 0, origBytes: 10, respBytes: 1 }));
    store.flush();
    const kept = store.flows().map((f) => f.uid);
    assert.equal(kept.filter((u) => u.startsWith('A')).length, 5 + 1); // burst + 2/s over the first second (0.99 s → 1 token)
    assert.equal(kept.filter((u) => u.startsWith('B')).length, 5);
    const st = store.stats();
    assert.equal(st.counters['store.flows_not_kept'], 110 - kept.length);
    assert.deepEqual(store.hourly(), [{ device: flowRow().device, hour: T0, bytesOut: 1100, bytesIn: 110, flows: 110 }]);
    store.close();
  });

  test('the token bucket refills on packet time, caps at its burst, and survives the clock stepping back', () => {
    const b = new TokenBucket({ perSecond: 10, burst: 3 });
    const take = (t: number, n: number) => Array.from({ length: n }, () => b.take(t)).filter(Boolean).length;
    assert.equal(take(T0, 5), 3);
    assert.equal(take(T0 + 0.25, 5), 2); // 2.5 tokens (a little less: T0 + 0.25 - T0 in doubles)
    assert.equal(take(T0 + 100, 5), 3); // capped at the burst
    assert.equal(take(T0 + 99, 5), 0); // a small step back: no refill, no reset
    // Flows ending by idle timeout are stamped up to an hour back: still no reset, no refill …
    assert.equal(take(T0 + 100 - 3000, 5), 0);
    assert.equal(take(T0 + 100.15, 5), 1); // … and the clock did not move back (0.15 s = 1.5 tokens)
    assert.equal(take(T0 - 3 * 3600, 5), 0); // a large step back (an NTP correction) restarts the clock …
    assert.equal(take(T0 - 3 * 3600 + 0.25, 5), 3); // … so refills resume at once (0.5 left + 2.5) instead of after 3 h
  });

  test('DNS: the same (device, query, qtype) within a minute is kept once; then the budget applies', () => {
    const { store } = open({ dnsBudget: { perSecond: 1, burst: 3 } });
    store.addDns(dnsRow({ ts: T0, uid: 'a' }));
    store.addDns(dnsRow({ ts: T0 + 30, uid: 'dup' })); // same question 30 s later
    store.addDns(dnsRow({ ts: T0 + 31, uid: 'aaaa', qtype: 'AAAA' }));
    store.addDns(dnsRow({ ts: T0 + 32, uid: 'other-dev', device: 'aa:bb:cc:00:00:02' }));
    store.addDns(dnsRow({ ts: T0 + 61, uid: 'again' })); // a minute after the kept one
    store.flush();
    assert.deepEqual(store.dns().map((d) => d.uid), ['again', 'other-dev', 'aaaa', 'a']);
    // Budget: 3 burst + 1/s; 20 distinct questions in one second keep 3 or 4.
    for (let i = 0; i < 20; i++) store.addDns(dnsRow({ ts: T0 + 200 + i * 0.01, uid: 'q' + i, query: `h${i}.example` }));
    store.flush();
    const c = store.stats().counters;
    assert.equal(c['store.dns_deduped'], 1);
    assert.equal(store.stats().dns, 4 + 20 - c['store.dns_not_kept']);
    assert.ok(c['store.dns_not_kept'] >= 16, `dns over budget: ${c['store.dns_not_kept']}`);
    store.close();
  });

  test('writes are batched: nothing is on disk before the timer, one transaction after it; maxBatchRows commits at once', async () => {
    const o = open({ batchMs: 150, flowBudget: null });
    const path = o.store.stats().path;
    for (let i = 0; i < 50; i++) o.store.addFlow(flowRow({ ts: T0 + i, uid: 'x' + i }));
    o.store.putDevice(device());
    assert.equal(countIn(path, 'flows'), 0);
    const tx0 = o.store.stats().transactions;
    assert.ok(await waitFor(() => countIn(path, 'flows') === 50), 'the batch timer committed');
    assert.equal(countIn(path, 'devices'), 1);
    assert.equal(o.store.stats().transactions, tx0 + 1);
    o.store.close();

    const b = open({ batchMs: 60_000, maxBatchRows: 10, flowBudget: null });
    const pb = b.store.stats().path;
    for (let i = 0; i < 25; i++) b.store.addFlow(flowRow({ ts: T0 + i, uid: 'y' + i }));
    assert.equal(countIn(pb, 'flows'), 20); // two full batches committed, 5 rows queued
    assert.equal(b.store.stats().queued, 5);
    b.store.close();
    assert.equal(countIn(pb, 'flows'), 25); // close commits the rest
  });

  test('an alert is committed on the next turn of the event loop, before any batch tick', async () => {
    const { store } = open({ batchMs: 60_000 });
    const path = store.stats().path;
    store.addAlert(alert());
    store.addAlert(alert({ key: 'second' }));
    assert.equal(countIn(path, 'alerts'), 0);
    await tick();
    await tick();
    assert.equal(countIn(path, 'alerts'), 2);
    store.close();
  });

  test('device and baseline updates that only move times wait for the refresh; identity changes go with the next batch', async () => {
    const { store } = open({ batchMs: 20, refreshMs: 3_600_000 });
    const path = store.stats().path;
    const lastSeen = () => peek<{ t: number } | undefined>(path, 'SELECT last_seen AS t FROM devices')?.t;
    const count = () => peek<{ c: number } | undefined>(path, 'SELECT count AS c FROM baseline_items')?.c;
    store.putDevice(device({ lastSeen: T0 + 1 }));
    store.putBaselineItem(item({ count: 1, state: 'alerted' }));
    store.putBaselineItem(item({ value: 'learned.example', count: 1, state: 'learned' }));
    assert.ok(await waitFor(() => lastSeen() === T0 + 1 && count() === 1), 'a new device and an alerted item go with the next batch');
    assert.equal(peek<{ n: number }>(path, "SELECT count(*) AS n FROM baseline_items WHERE value = 'learned.example'").n, 0, 'an item learned while learning waits for the refresh');
    store.putDevice(device({ lastSeen: T0 + 2 })); // only a time moved
    store.putBaselineItem(item({ count: 2, lastSeen: T0 + 50, state: 'alerted' }));
    store.addFlow(flowRow()); // other writes keep committing meanwhile
    assert.ok(await waitFor(() => countIn(path, 'flows') === 1));
    await sleep(100);
    assert.equal(lastSeen(), T0 + 1, 'a time-only update waits for the refresh');
    assert.equal(count(), 1);
    store.putBaselineItem(item({ count: 3, state: 'accepted' })); // a state change
    store.putDevice(device({ lastSeen: T0 + 3, type: 'speaker' })); // an identity change
    assert.ok(await waitFor(() => lastSeen() === T0 + 3 && count() === 3), 'changes that matter go with the next batch');
    store.putDevice(device({ lastSeen: T0 + 4, type: 'speaker' }));
    await sleep(100);
    assert.equal(lastSeen(), T0 + 3);
    store.flush(); // flush writes the slow lane too
    assert.equal(lastSeen(), T0 + 4);
    store.close();

    // With a short refresh, the timer writes the slow lane by itself.
    const b = open({ batchMs: 20, refreshMs: 200 });
    const pb = b.store.stats().path;
    b.store.putDevice(device({ lastSeen: T0 + 1 }));
    b.store.putDevice(device({ lastSeen: T0 + 2 }));
    b.store.flush();
    b.store.putDevice(device({ lastSeen: T0 + 9 }));
    assert.ok(await waitFor(() => peek<{ t: number }>(pb, 'SELECT last_seen AS t FROM devices').t === T0 + 9, 5_000), 'the refresh wrote it');
    b.store.close();
  });

  test('each refresh writes at most slowRowsPerRefresh slow-lane rows, oldest first; flush writes the rest', async () => {
    const { store } = open({ batchMs: 20, refreshMs: 150, slowRowsPerRefresh: 3 });
    const path = store.stats().path;
    const macs = Array.from({ length: 7 }, (_, i) => `aa:bb:cc:00:00:0${i}`);
    for (const mac of macs) store.putDevice(device({ mac, lastSeen: T0 }));
    store.flush();
    const moved = () => peek<{ n: number }>(path, `SELECT count(*) AS n FROM devices WHERE last_seen = ${T0 + 5}`).n;
    for (const mac of macs) store.putDevice(device({ mac, lastSeen: T0 + 5 })); // time-only: slow lane
    assert.ok(await waitFor(() => moved() >= 3, 5_000), 'the first refresh wrote some');
    const first = moved();
    assert.ok(first <= 6, `a refresh writes at most 3 rows (${first} after the first one or two)`);
    const order = peek<{ m: string }>(path, `SELECT min(mac) AS m FROM devices WHERE last_seen = ${T0 + 5}`).m;
    assert.equal(order, macs[0], 'oldest first');
    assert.ok(await waitFor(() => moved() === 7, 5_000), 'later refreshes write the rest');
    for (const mac of macs) store.putDevice(device({ mac, lastSeen: T0 + 9 }));
    store.flush();
    assert.equal(peek<{ n: number }>(path, `SELECT count(*) AS n FROM devices WHERE last_seen = ${T0 + 9}`).n, 7, 'flush writes everything');
    store.close();
  });

  test('rows SQLite refuses are dropped one by one and counted; the rest of the batch commits', () => {
    const { store } = open({ flowBudget: null });
    store.addFlow(flowRow({ uid: 'good1' }));
    store.addFlow(flowRow({ uid: 'bad', origBytes: Number.NaN })); // NaN binds as NULL: NOT NULL refuses it
    store.addFlow(flowRow({ uid: 'good2' }));
    store.addFlow(flowRow({ uid: 'bad-time', ts: Number.NaN })); // refused before queueing
    store.putDevice(device());
    store.flush();
    assert.deepEqual(store.flows().map((f) => f.uid).sort(), ['good1', 'good2']);
    assert.equal(store.stats().counters['store.rows_rejected'], 2);
    assert.equal(store.devices().length, 1);
    store.close();
  });
});

describe('sqlite store: a full disk', () => {
  const mnt = join(root, 'small-disk');
  before(() => {
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  });
  after(() => {
    execFileSync('umount', ['-l', mnt]);
  });

  test('a commit failing with SQLITE_FULL keeps the queue, reports one sentence once, and succeeds after space is freed', async () => {
    const errors: VigilError[] = [];
    const path = join(mnt, 'vigil.db');
    const { store } = openStore({ path, batchMs: 40, flowBudget: null, maxQueuedRows: 3_000, onError: (e) => errors.push(e) });
    store.putDevice(device());
    store.flush();
    // Fill the disk, leaving a few KiB: the next WAL frames cannot be written.
    const filler = join(mnt, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k', 'count=100000'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": that is the point.
    }
    for (let i = 0; i < 2_000; i++) store.addFlow(flowRow({ ts: T0 + i, uid: 'F' + i }));
    assert.ok(await waitFor(() => store.stats().counters['store.commit_errors'] >= 2), 'several ticks, each retrying');
    const st = store.stats();
    assert.equal(st.queued, 2_000);
    assert.ok(st.counters['store.commit_errors'] >= 2, `retried: ${st.counters['store.commit_errors']}`);
    assert.equal(errors.length, 1, 'reported once, not once per retry');
    assert.equal(errors[0].code, 'VIGIL_ERR_STORE_WRITE');
    assert.match(errors[0].message, new RegExp(`disk holding ${mnt} is full; free space or lower retention`));
    assert.equal(st.error, errors[0].message);
    assert.throws(() => store.flush(), (e: unknown) => e instanceof VigilError && /is full/.test(e.message));
    assert.equal(store.retain(T0 + 40 * DAY), 0); // the sensor's timer calls it: no throw, nothing done
    // The queue is bounded: rows beyond the cap are counted, not kept.
    for (let i = 2_000; i < 4_000; i++) store.addFlow(flowRow({ ts: T0 + i, uid: 'F' + i }));
    assert.equal(store.stats().queued, 3_000);
    assert.equal(store.stats().counters['store.rows_dropped'], 1_000);
    rmSync(filler);
    assert.ok(await waitFor(() => store.stats().queued === 0), 'the next tick commits once there is space');
    const ok = store.stats();
    assert.equal(ok.error, null);
    assert.equal(ok.queued, 0);
    assert.equal(ok.flows, 3_000);
    assert.equal(countIn(path, 'flows'), 3_000);
    store.close();
  });
});

describe('sqlite store: retention', () => {
  test('deletes in chunks of chunkRows, at most maxChunks per table per call; the next call continues', () => {
    const { store } = open({ flowBudget: null, retention: { chunkRows: 100, maxChunks: 3 } });
    const now = T0 + 100 * DAY;
    for (let i = 0; i < 1_000; i++) store.addFlow(flowRow({ ts: T0 + i, uid: 'old' + i }));
    for (let i = 0; i < 10; i++) store.addFlow(flowRow({ ts: now - i, uid: 'new' + i }));
    store.flush();
    assert.equal(store.retain(now), 300);
    assert.equal(store.stats().flows, 710);
    assert.equal(store.retain(now), 300);
    assert.equal(store.retain(now), 300);
    assert.equal(store.retain(now), 100);
    assert.equal(store.retain(now), 0);
    assert.deepEqual(store.flows().map((f) => f.uid).sort(), Array.from({ length: 10 }, (_, i) => 'new' + i).sort());
    assert.equal(store.stats().rowsRetired, 1_000);
    store.close();
  });

  test('hourly rollups outlive flows (400 days); the size cap deletes the oldest flows and DNS rows first, nothing else', () => {
    const cap = 400 * 1024;
    const { store } = open({ flowBudget: null, dnsBudget: null, retention: { maxBytes: cap, chunkRows: 500, maxChunks: 100 } });
    const path = store.stats().path;
    for (let i = 0; i < 4_000; i++) {
      store.addFlow(flowRow({ ts: T0 + i * 10, uid: 'f' + i, device: 'aa:bb:cc:00:00:01' }));
      if (i % 4 === 0) store.addDns(dnsRow({ ts: T0 + i * 10 + 1, uid: 'd' + i, query: `name${i}.example.com` }));
    }
    store.putDevice(device());
    store.putBaselineItem(item());
    store.addAlert(alert());
    store.flush();
    const used = () => {
      const p = peek<{ n: number }>(path, 'SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count) AS n').n;
      return p * 1024;
    };
    assert.ok(used() > cap, `test data must exceed the cap (${used()})`);
    const removed = store.retain(T0 + 4_000 * 10); // nothing is old enough for the windows
    assert.ok(removed > 0);
    assert.ok(used() <= cap, `used ${used()} <= cap ${cap}`);
    const flows = store.flows();
    const dns = store.dns();
    assert.ok(flows.length > 0 && flows.length < 4_000);
    // The oldest went: what remains is a contiguous newest range of each table.
    assert.equal(flows[0].uid, 'f3999');
    assert.equal(flows[flows.length - 1].uid, 'f' + (4_000 - flows.length));
    assert.equal(dns[0].uid, 'd3996');
    // Oldest first across both tables, to the hour: neither kept rows much older than the other's oldest.
    const oldestFlow = flows[flows.length - 1].ts;
    const oldestDns = dns[dns.length - 1].ts;
    assert.ok(Math.abs(oldestFlow - oldestDns) <= 3_600 + 40, `${oldestFlow} vs ${oldestDns}`);
    assert.equal(store.devices().length, 1);
    assert.equal(store.baselineItems().length, 1);
    assert.equal(store.alerts().length, 1);
    assert.deepEqual(store.hourly().reduce((n, h) => n + h.flows, 0), 4_000);
    // 300 days later flows are long gone by age, rollups stay until 400 days.
    store.retain(T0 + 300 * DAY);
    assert.equal(store.flows().length, 0);
    assert.ok(store.hourly().length > 0);
    store.retain(T0 + 402 * DAY);
    assert.equal(store.hourly().length, 0);
    assert.equal(store.alerts().length, 1); // open alerts are never deleted
    store.close();
  });
});

describe('sqlite store: time-ordered rowids', () => {
  test('long flows and a clock stepping back are stored and found exactly by since/until', () => {
    const { store } = open({ flowBudget: null, retention: { flowsDays: 1 } });
    store.addFlow(flowRow({ ts: T0 + 10_000, uid: 'now', duration: 1 }));
    store.addFlow(flowRow({ ts: T0, uid: 'long', duration: 2 * MAX_LAG_S })); // started long before its end
    store.addFlow(flowRow({ ts: T0 - 50_000, uid: 'stepped-back', duration: 0 })); // packet clock went back
    store.addFlow(flowRow({ ts: T0 - 50_000, uid: 'stepped-back-2', duration: 0 })); // same start: ids stay unique
    store.addFlow(flowRow({ ts: T0 + 10_001, uid: 'after', duration: 0 }));
    store.flush();
    const uids = (since?: number, until?: number) => store.flows({ since, until }).map((f) => f.uid).sort();
    assert.deepEqual(uids(), ['after', 'long', 'now', 'stepped-back', 'stepped-back-2']);
    assert.deepEqual(uids(T0, T0 + 1), ['long']);
    assert.deepEqual(uids(T0 - 50_000, T0 - 49_999), ['stepped-back', 'stepped-back-2']);
    assert.deepEqual(uids(T0 + 10_000), ['after', 'now']);
    assert.deepEqual(uids(undefined, T0 + 10_000), ['long', 'stepped-back', 'stepped-back-2']);
    // Retention is exact too: a 1-day window at T0 + 1 day + 1 s keeps only rows that started after T0.
    store.retain(T0 + DAY + 1);
    assert.deepEqual(uids(), ['after', 'now']);
    store.close();
  });
});
