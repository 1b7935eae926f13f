/**
 * A damaged database at open is moved aside with its -wal/-shm and a new one is created; the
 * damage is real: garbage bytes, a file cut short, a truncated copy of a real database, a page of
 * a real database overwritten. Healthy files (an empty one included) are never moved.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open.js';
import { moveAside } from '../../src/store/sqlite/recover.js';
import { VigilError } from '../../src/util/errors.js';
import { T0, device, flowRow } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-corrupt-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
function place(): string {
  const dir = join(root, String(seq++));
  mkdirSync(dir);
  return join(dir, 'vigil.db');
}

/** A real database with some thousands of flows, checkpointed into the main file and closed. */
function realDb(path: string): void {
  const { store } = openStore({ path, flowBudget: null });
  for (let i = 0; i < 3_000; i++) store.addFlow(flowRow({ ts: T0 + i, uid: 'F' + i }));
  store.putDevice(device());
  store.close();
  assert.equal(existsSync(path + '-wal'), false, 'closing the last connection checkpoints and removes the WAL');
}

/** Opens a damaged file and checks the whole recovery: moved aside intact, a working new store. */
function expectRecovered(path: string, reason: RegExp): string {
  const original = readFileSync(path);
  const { store, recovered } = openStore({ path });
  assert.ok(recovered, 'the damage is recognised');
  assert.match(recovered.reason, reason);
  assert.equal(dirname(recovered.movedTo), dirname(path));
  assert.match(basename(recovered.movedTo), /^vigil\.db\.corrupt-\d{8}T\d{6}Z(-\d+)?$/);
  assert.deepEqual(readFileSync(recovered.movedTo), original, 'the damaged file is kept as it was');
  // The new database works and is empty.
  assert.deepEqual(store.flows(), []);
  store.addFlow(flowRow({ uid: 'after-recovery' }));
  store.flush();
  assert.deepEqual(store.flows().map((f) => f.uid), ['after-recovery']);
  store.close();
  const again = openStore({ path });
  assert.equal(again.recovered, null, 'the new file is healthy');
  again.store.close();
  return recovered.movedTo;
}

test('garbage bytes instead of a database', () => {
  const path = place();
  writeFileSync(path, randomBytes(64 * 1024));
  expectRecovered(path, /not a SQLite database/);
});

test('a file shorter than a SQLite header', () => {
  const path = place();
  writeFileSync(path, 'SQLite format 3\u0000 but nothing more');
  expectRecovered(path, /shorter than a SQLite header/);
});

test('a truncated copy of a real database', () => {
  const src = place();
  realDb(src);
  const path = place();
  copyFileSync(src, path);
  truncateSync(path, Math.floor(statSync(src).size / 2));
  expectRecovered(path, /quick_check|malformed|corrupt/i);
});

test('a real database with one page overwritten by random bytes', () => {
  const path = place();
  realDb(path);
  const db = new Database(path, { readonly: true });
  // A leaf page of the flows table, in the middle of the file.
  const page = (db.prepare("SELECT pageno FROM dbstat WHERE name = 'flows' AND pagetype = 'leaf' ORDER BY pageno").all() as { pageno: number }[]);
  const size = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const target = page[Math.floor(page.length / 2)].pageno;
  const fd = openSync(path, 'r+');
  writeSync(fd, randomBytes(size), 0, size, (target - 1) * size);
  closeSync(fd);
  expectRecovered(path, /quick_check|malformed|corrupt/i);
});

test('the -wal and -shm go with the damaged file, so the new database does not replay a stale WAL', () => {
  const src = place();
  // A database left with a WAL, as after a crash: the child process is not needed, a second
  // connection that stays open keeps the WAL from being checkpointed away.
  const { store } = openStore({ path: src, flowBudget: null });
  for (let i = 0; i < 500; i++) store.addFlow(flowRow({ ts: T0 + i, uid: 'W' + i }));
  store.flush();
  const path = place();
  copyFileSync(src + '-wal', path + '-wal');
  copyFileSync(src + '-shm', path + '-shm');
  store.close();
  writeFileSync(path, randomBytes(8192)); // the main file is garbage
  const wal = readFileSync(path + '-wal');
  const moved = expectRecovered(path, /not a SQLite database/);
  assert.deepEqual(readFileSync(moved + '-wal'), wal);
  assert.ok(existsSync(moved + '-shm'));
});

test('a reader that must not recover gets a coded error and the file stays where it is', () => {
  const path = place();
  const junk = randomBytes(4096);
  writeFileSync(path, junk);
  assert.throws(
    () => openStore({ path, recover: false }),
    (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_STORE_CORRUPT' && /is damaged/.test(e.message),
  );
  assert.deepEqual(readFileSync(path), junk);
  assert.deepEqual(readdirSync(dirname(path)), ['vigil.db']);
});

test('an empty file is a valid empty database, not damage', () => {
  const path = place();
  writeFileSync(path, '');
  const { store, recovered } = openStore({ path });
  assert.equal(recovered, null);
  store.addFlow(flowRow());
  store.flush();
  assert.equal(store.flows().length, 1);
  store.close();
  assert.deepEqual(readdirSync(dirname(path)).filter((f) => f.includes('corrupt')), []);
});

test('two recoveries in the same second get distinct names', () => {
  const path = place();
  const when = new Date(Date.UTC(2026, 0, 21, 10, 39, 12));
  writeFileSync(path, 'one');
  const a = moveAside(path, when);
  writeFileSync(path, 'two');
  const b = moveAside(path, when);
  assert.equal(basename(a), 'vigil.db.corrupt-20260121T103912Z');
  assert.equal(basename(b), 'vigil.db.corrupt-20260121T103912Z-1');
  assert.equal(readFileSync(a, 'utf8'), 'one');
  assert.equal(readFileSync(b, 'utf8'), 'two');
});

test('a path that cannot be created is a coded error, and nothing is moved', () => {
  const file = place();
  writeFileSync(file, 'a file, not a directory');
  assert.throws(
    () => openStore({ path: join(file, 'sub', 'vigil.db') }),
    (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_STORE_OPEN' && /choose another --db path/.test(e.message),
  );
  assert.equal(readFileSync(file, 'utf8'), 'a file, not a directory');
});
