/**
 * kill -9 at any moment loses at most the current batch and never corrupts the file: a child
 * process (crash-child.ts) writes flows through the Store continuously; it is SIGKILLed at random
 * moments, many times over the same file. After each kill the file must pass
 * `PRAGMA integrity_check`, hold every flow the child acknowledged after a flush, and hold the
 * flows as one gap-free run (a batch is all or nothing); the next child must open it without
 * taking it for damaged.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CRASH_BASE_TS } from './fixtures.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'crash-child.js');
const ITERATIONS = 40;

const root = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface Run {
  openLine: string;
  acked: number;
  signal: NodeJS.Signals | null;
}

/**
 * Starts the child and kills it `killAfterMs` after it opened the store, or, with `early`,
 * after `killAfterMs` from the spawn (possibly while it opens, checks or migrates the file).
 */
function runChild(path: string, killAfterMs: number, early = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (early) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (timer === null && out.includes('\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      const lines = out.split('\n');
      const openLine = lines.length > 1 ? lines[0] : '';
      if (!early && !openLine.startsWith('open ')) return reject(new Error(`child did not open the store: ${out.slice(0, 300)} ${err.slice(0, 2_000)}`));
      let acked = -1;
      // Only complete lines count: a line cut by the kill was not fully written.
      for (const l of lines.slice(1, -1)) if (l.startsWith('ack ')) acked = Number(l.slice(4));
      resolve({ openLine, acked, signal });
    });
  });
}

test(`kill -9 during writes, ${ITERATIONS} times: integrity ok, acknowledged flows kept, batches whole`, async () => {
  const path = join(root, 'data', 'vigil.db');
  const r = rng(0xc0ffee);
  let maxAcked = -1;
  let kills = 0;
  let totalRows = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    // One run in eight is killed early, often while it opens the file (check, migrations).
    const early = i % 8 === 7;
    const run = await runChild(path, early ? 20 + Math.floor(r() * 100) : 5 + Math.floor(r() * 120), early);
    if (run.openLine) assert.equal(run.openLine.split(' ')[1], 'null', `iteration ${i}: the file after a kill is not taken for damaged (${run.openLine})`);
    if (!existsSync(path)) continue;
    if (run.signal === 'SIGKILL') kills++;
    maxAcked = Math.max(maxAcked, run.acked);

    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `iteration ${i}`);
      const s = db.prepare('SELECT count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM flows').get() as { n: number; lo: number; hi: number };
      const have = s.n === 0 ? -1 : Math.round(s.hi - CRASH_BASE_TS);
      assert.ok(have >= maxAcked, `iteration ${i}: flows up to ${maxAcked} were acknowledged, the file has up to ${have}`);
      // Gap-free from 0: a batch is committed whole or not at all, and nothing committed is lost.
      if (s.n > 0) {
        assert.equal(Math.round(s.lo - CRASH_BASE_TS), 0);
        assert.equal(s.n, have + 1, `iteration ${i}: ${s.n} rows for flows 0..${have}`);
      }
      const dup = db.prepare('SELECT count(DISTINCT uid) AS n FROM flows').get() as { n: number };
      assert.equal(dup.n, s.n, 'no flow stored twice');
      totalRows = s.n;
    } finally {
      db.close();
    }
  }
  assert.ok(kills >= ITERATIONS - 1, `the child was killed mid-run (${kills}/${ITERATIONS})`);
  assert.ok(totalRows > 10_000, `the children wrote a real amount (${totalRows} flows)`);
});
