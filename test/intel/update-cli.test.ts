/**
 * `vigil intel list|add|update|remove|check` as a user types them, in a child process (the real
 * command module, real config file, real intel directory): list --json and the table, add a
 * corpus file in place, add a URL served by a local HTTP server, update (304 → unchanged, new
 * content → updated, --json), bad input gets one sentence and a non-zero exit.
 * The catalogue feeds are turned off in the config so nothing but 127.0.0.1 is ever contacted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, REPO } from '../helpers/analyze.js';
import { CATALOGUE } from '../../src/intel/catalogue.js';
import type { FeedStatus, UpdateReport } from '../../src/intel/feeds.js';

const MODULE = join(REPO, 'dist', 'src', 'cli', 'commands', 'intel.js');
// What src/cli/main.ts does around a command: run it, print a VigilError as one line, exit 1.
const RUNNER = `import(process.argv[1]).then((m) => m.runIntel(JSON.parse(process.argv[2]))).then(
  (c) => { process.exitCode = c; },
  (e) => { process.stderr.write('vigil: ' + e.message + (e.code ? ' [' + e.code + ']' : '') + '\\n'); process.exitCode = e.code ? 1 : 70; })`;

interface Run { status: number | null; stdout: string; stderr: string }

/** Async (the test's own HTTP server must keep answering while the child runs). */
function vigil(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, MODULE, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const FEODO = join(CORPUS, 'intel', 'firehol', 'feodo.ipset');

test('vigil intel list, add, update, remove, check', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 10;
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    const body = Array.from({ length: n }, (_, i) => `45.7.0.${i + 1}`).join('\n') + '\n';
    const etag = `"n${n}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lists/mine.txt`;

  // Defaults: the catalogue, nothing fetched yet.
  const fresh = join(dir, 'fresh.yaml');
  writeFileSync(fresh, `dataDir: ${join(dir, 'fresh')}\n`);
  const l0 = await vigil('list', '--config', fresh, '--json');
  assert.equal(l0.status, 0, l0.stderr);
  const s0 = JSON.parse(l0.stdout) as FeedStatus[];
  assert.deepEqual(s0.map((s) => s.id), CATALOGUE.map((c) => c.id));
  const by = (list: FeedStatus[], id: string) => list.find((s) => s.id === id)!;
  assert.deepEqual([by(s0, 'feodo').enabled, by(s0, 'feodo').health], [true, 'pending']);
  assert.deepEqual([by(s0, 'urlhaus').enabled, by(s0, 'urlhaus').health], [false, 'needs key']);
  assert.deepEqual([by(s0, 'firehol-level1').enabled, by(s0, 'firehol-level1').health], [false, 'off']);
  assert.equal(existsSync(join(dir, 'fresh', 'intel')), false, 'listing creates nothing');
  const table = await vigil('list', '--config', fresh);
  assert.match(table.stdout, /^ID\s+ON\s+FORMAT\s+CATEGORY\s+INDICATORS\s+UPDATED\s+HEALTH\s+NOTE$/m);
  assert.match(table.stdout, /^urlhaus\s+off\s+abusech-csv\s+malware\s+needs key\s+set intel\.abuseChKey$/m);
  assert.match(table.stdout, /^4 of 11 feeds on, 0 indicators/m);
  assert.match(table.stdout, /need the free abuse\.ch Auth-Key/);

  // A sandbox: every catalogue feed off, so only the test's server and files are used.
  const cfg = join(dir, 'vigil.yaml');
  writeFileSync(cfg, `dataDir: ${join(dir, 'data')}\nintel:\n  disabled: [${CATALOGUE.map((c) => c.id).join(', ')}]\n`);
  const feodoBefore = statSync(FEODO);
  const add = await vigil('add', FEODO, '--category', 'c2', '--name', 'Feodo 2015', '--config', cfg);
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /^added feodo-2015 \(auto, c2, high\): .*feodo\.ipset$/m);
  // 235 public addresses (see catalogue.test.ts for how the number was derived).
  assert.match(add.stdout, /^235 indicators$/m);
  assert.equal(statSync(FEODO).mtimeMs, feodoBefore.mtimeMs, 'the corpus file is read in place, untouched');
  assert.ok(existsSync(join(dir, 'data', 'intel', 'feodo-2015.data')), 'last good copy kept under the data dir');

  const addUrl = await vigil('add', url, '--format', 'plain', '--category', 'scanner', '--every', '1h', '--config', cfg, '--json');
  assert.equal(addUrl.status, 0, addUrl.stderr);
  const added = JSON.parse(addUrl.stdout) as { feed: { id: string; everySeconds: number; severity: string }; update: { outcome: string; indicators: number } };
  assert.deepEqual([added.feed.id, added.feed.everySeconds, added.feed.severity], ['mine', 3600, 'low']);
  assert.deepEqual([added.update.outcome, added.update.indicators], ['updated', 10]);
  const feedsJson = JSON.parse(readFileSync(join(dir, 'data', 'intel', 'feeds.json'), 'utf8')) as { feeds: { id: string; source: string }[] };
  assert.deepEqual(feedsJson.feeds.map((f) => [f.id, f.source]), [['feodo-2015', FEODO], ['mine', url]]);

  const l1 = JSON.parse((await vigil('list', '--config', cfg, '--json')).stdout) as FeedStatus[];
  assert.deepEqual(l1.filter((s) => s.enabled).map((s) => [s.id, s.origin, s.indicators, s.health]), [['feodo-2015', 'user', 235, 'ok'], ['mine', 'user', 10, 'ok']]);
  assert.equal(l1.filter((s) => s.origin === 'catalogue' && s.enabled).length, 0);

  // update: 304 → unchanged; new content → updated with the change; a specific id.
  const u1 = await vigil('update', '--config', cfg);
  assert.equal(u1.status, 0, u1.stderr + u1.stdout);
  assert.match(u1.stdout, /^feodo-2015\s+unchanged\s+235 indicators$/m);
  assert.match(u1.stdout, /^mine\s+unchanged\s+10 indicators$/m);
  assert.match(u1.stdout, /^0 updated, 2 unchanged, 0 with problems; 245 indicators in use$/m);
  n = 12;
  const u2 = await vigil('update', 'mine', '--config', cfg, '--json');
  assert.equal(u2.status, 0, u2.stderr);
  const rep = JSON.parse(u2.stdout) as UpdateReport;
  assert.deepEqual(rep.feeds.map((f) => [f.id, f.outcome, f.previous, f.indicators]), [['mine', 'updated', 10, 12]]);
  n = 13;
  assert.match((await vigil('update', 'mine', '--config', cfg)).stdout, /^mine\s+updated\s+12 → 13 indicators$/m);

  // A failing server: exit 1, the last good copy kept and said so.
  server.removeAllListeners('request');
  server.on('request', (_req, res) => void res.writeHead(503).end());
  const u3 = await vigil('update', 'mine', '--config', cfg);
  assert.equal(u3.status, 1);
  assert.match(u3.stdout, /^mine\s+FAILED\s+HTTP 503 Service Unavailable; keeping the last good copy \(13 indicators\)$/m);
  assert.match((await vigil('list', '--config', cfg)).stdout, /^mine\s+on\s+plain\s+scanner\s+13\s+\S+ \S+\s+failing\s+HTTP 503/m);

  // check: delegated to the lookup command, which reads the same copies.
  const c = await vigil('check', '45.7.0.13', '--config', cfg, '--json');
  assert.equal(c.status, 0, c.stderr + c.stdout);
  assert.match(c.stdout, /"feed": "mine"/);

  // Bad input: one sentence, non-zero.
  const bad: [string[], RegExp, number][] = [
    [['add', join(dir, 'nope.txt'), '--config', cfg], /no file .*nope\.txt; check the path/, 1],
    [['add', FEODO, '--format', 'xml', '--config', cfg], /already a feed \(id feodo-2015\)/, 1],
    [['add', url + '?x', '--format', 'xml', '--config', cfg], /unknown format 'xml'; one of auto, plain, firehol/, 1],
    [['add', url + '?y', '--every', '1m', '--config', cfg], /too often: at most every 5 minutes/, 1],
    [['add', 'ftp://x/y', '--config', cfg], /only http\(s\) URLs and local files/, 1],
    [['update', 'nosuch', '--config', cfg], /no feed 'nosuch'/, 1],
    [['update', 'feodo', '--config', cfg], /feed 'feodo' is off; turn it on with intel\.enable/, 1],
    [['list', 'extra', '--config', cfg], /unexpected 'extra'/, 2],
    [['list', '--force', '--config', cfg], /--force only goes with 'vigil intel update'/, 2],
    [['frobnicate'], /unknown subcommand 'frobnicate'/, 2],
    [['remove', 'feodo', '--config', cfg], /built-in feed; turn it off with intel\.disabled/, 1],
  ];
  for (const [args, re, code] of bad) {
    const r = await vigil(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  // A file that is not a list is not added.
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 10, 0, 0]));
  const j = await vigil('add', junk, '--config', cfg);
  assert.equal(j.status, 1);
  assert.match(j.stderr, /junk\.bin: the new copy has no indicators .*; not added/);

  const rm = await vigil('remove', 'feodo-2015', '--config', cfg);
  assert.equal(rm.status, 0, rm.stderr);
  const l2 = JSON.parse((await vigil('list', '--config', cfg, '--json')).stdout) as FeedStatus[];
  assert.deepEqual(l2.filter((s) => s.origin === 'user').map((s) => s.id), ['mine']);
  assert.equal(existsSync(join(dir, 'data', 'intel', 'feodo-2015.data')), false);
  assert.equal(hits, 4, 'add, update, update mine twice: one request each');
});
