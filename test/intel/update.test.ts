/**
 * Must-show 4: the feed updater against a real HTTP server the test starts on 127.0.0.1 (random
 * ports). Conditional GET (ETag and Last-Modified → 304, nothing re-parsed), failures of every
 * kind keep the last good copy (500, timeout, connection refused, garbage), a 95 % shrink is
 * held back (and accepted with force), an oversized body is cut off at the cap, 401 on a key feed
 * says "key missing/invalid" and the key never reaches a log, an error or a file, the key never
 * follows a redirect to another host, local files are re-read when their mtime changes, cadence
 * and staleness, and loading works offline.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntelFeeds, type UpdateReport } from '../../src/intel/feeds.js';
import type { CatalogueFeed } from '../../src/intel/catalogue.js';
import type { IndicatorSet } from '../../src/intel/indicator-set.js';
import { DEFAULTS, type VigilConfig } from '../../src/config/schema.js';
import { dataPath } from '../../src/intel/update/state.js';
import { maskSecrets } from '../../src/intel/update/mask.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-intel-update-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `d${++dirs}`);

/** n distinct public IPv4 addresses (45.0.0.0/8 is ordinary routed space: never skipped as private). */
function ips(n: number, start = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const v = start + i + 1;
    return `45.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
  });
}
const list = (n: number, start = 0) => '# test feed\n' + ips(n, start).join('\n') + '\n';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface Seen { path: string; url: string; headers: IncomingMessage['headers'] }

async function serve(host = '127.0.0.1'): Promise<{ server: Server; base: string; routes: Map<string, Handler>; seen: Seen[]; close: () => Promise<void> }> {
  const routes = new Map<string, Handler>();
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, url: req.url ?? '', headers: req.headers });
    const h = routes.get(url.pathname);
    if (!h) {
      res.writeHead(404).end('not found');
      return;
    }
    h(req, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    server, base, routes, seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function feed(id: string, url: string, extra: Partial<CatalogueFeed> = {}): CatalogueFeed {
  return {
    id, name: `test ${id}`, urls: [url], format: 'plain', category: 'c2', severity: 'high',
    everySeconds: 3600, minEverySeconds: 3600, key: 'none', keyInQuery: false, defaultOn: 'on',
    what: 'test', licence: 'test', reference: `https://example.org/${id}`, ...extra,
  };
}

function intel(over: Partial<VigilConfig['intel']> = {}): VigilConfig['intel'] {
  return { ...DEFAULTS.intel, ...over };
}

const T0 = 1_750_000_000;

function make(catalogue: CatalogueFeed[], opts: { config?: Partial<VigilConfig['intel']>; maxBytes?: number; timeoutMs?: number; dir?: string } = {}) {
  const logs: string[] = [];
  let now = T0;
  const feeds = new IntelFeeds({
    dir: opts.dir ?? newDir(),
    config: intel(opts.config),
    catalogue,
    log: (l) => logs.push(l),
    maxBytes: opts.maxBytes,
    timeoutMs: opts.timeoutMs ?? 5000,
    now: () => now,
  });
  const swaps: IndicatorSet[] = [];
  feeds.onSwap((s) => swaps.push(s));
  return {
    feeds, logs, swaps,
    at: (t: number) => { now = t; return new Date(t * 1000); },
    update: (ids: string[], force = false): Promise<UpdateReport> => feeds.updateAll({ ids, force, now: new Date(now * 1000) }),
  };
}

test('ETag: the second fetch sends If-None-Match, gets 304, and nothing is re-parsed or swapped', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  const body = list(200);
  srv.routes.set('/etag', (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
    res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' }).end(body);
  });
  const f = make([feed('etag', `${srv.base}/etag`)]);
  const r1 = await f.update(['etag']);
  assert.equal(r1.feeds[0].outcome, 'updated');
  assert.equal(r1.feeds[0].indicators, 200);
  assert.equal(r1.feeds[0].parsed, true);
  assert.equal(f.feeds.set.matchIp('45.0.0.5').length, 1, 'listed address matches in the set in use');
  assert.equal(f.feeds.set.matchIp('45.0.0.5')[0].feed, 'etag');
  assert.equal(srv.seen[0].headers['if-none-match'], undefined, 'first fetch is unconditional');

  const parses = f.feeds.counters.parses;
  const swaps = f.feeds.counters.swaps;
  const r2 = await f.update(['etag']);
  assert.equal(srv.seen.length, 2);
  assert.equal(srv.seen[1].headers['if-none-match'], '"v1"', 'the validator arrived');
  assert.equal(r2.feeds[0].outcome, 'unchanged');
  assert.equal(r2.feeds[0].parsed, false);
  assert.equal(f.feeds.counters.parses, parses, 'nothing re-parsed on 304');
  assert.equal(f.feeds.counters.swaps, swaps, 'no new set on 304');
  assert.equal(f.feeds.counters.notModified, 1);
  assert.equal(r2.swapped, false);
  assert.equal(f.feeds.set.matchIp('45.0.0.5').length, 1);
  const st = f.feeds.list().find((s) => s.id === 'etag');
  assert.equal(st?.health, 'ok');
  assert.equal(st?.indicators, 200);
});

test('Last-Modified: the second fetch sends If-Modified-Since and 304 keeps the copy', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  const lm = 'Wed, 21 Oct 2025 07:28:00 GMT';
  srv.routes.set('/lm', (req, res) => {
    if (req.headers['if-modified-since'] === lm) return void res.writeHead(304).end();
    res.writeHead(200, { 'last-modified': lm }).end(list(50));
  });
  const f = make([feed('lm', `${srv.base}/lm`)]);
  assert.equal((await f.update(['lm'])).feeds[0].outcome, 'updated');
  const r = await f.update(['lm']);
  assert.equal(srv.seen[1].headers['if-modified-since'], lm);
  assert.equal(srv.seen[1].headers['if-none-match'], undefined, 'no ETag was given, none is invented');
  assert.equal(r.feeds[0].outcome, 'unchanged');
  assert.equal(r.feeds[0].parsed, false);
  // --force: unconditional.
  await f.update(['lm'], true);
  assert.equal(srv.seen[2].headers['if-modified-since'], undefined);
});

test('a failing feed keeps its last good copy: 500, timeout, garbage, connection refused', async (t) => {
  const srv = await serve();
  const gone = await serve();
  t.after(srv.close);
  let mode: 'good' | '500' | 'hang' | 'garbage' = 'good';
  srv.routes.set('/flaky', (_req, res) => {
    if (mode === 'good') return void res.writeHead(200).end(list(300));
    if (mode === '500') return void res.writeHead(500).end('oops');
    if (mode === 'garbage') return void res.writeHead(200).end('<html><body>Service temporarily unavailable</body></html>\n\u0000\u0001\u0002 not a list\n');
    res.writeHead(200);
    res.write('45.9.9.9\n'); // then nothing: a server that stalls mid-body
  });
  gone.routes.set('/once', (_req, res) => void res.writeHead(200).end(list(30, 5000)));
  const f = make([feed('flaky', `${srv.base}/flaky`), feed('gone', `${gone.base}/once`)], { timeoutMs: 700 });
  await f.update(['flaky', 'gone']);
  const good = readFileSync(dataPath(f.feeds.dir, 'flaky'));
  const check = (id: string, outcome: string, error: RegExp, indicators: number) => {
    const st = f.feeds.list().find((s) => s.id === id)!;
    assert.equal(st.health, 'failing', `${id} is failing`);
    assert.match(st.error ?? '', error);
    assert.equal(st.indicators, indicators, 'the last good copy still counts');
    assert.equal(outcome, 'failed');
  };

  mode = '500';
  let r = await f.update(['flaky']);
  check('flaky', r.feeds[0].outcome, /HTTP 500/, 300);
  assert.equal(r.feeds[0].indicators, 300);

  mode = 'hang';
  const t0 = Date.now();
  r = await f.update(['flaky']);
  assert.ok(Date.now() - t0 < 3000, 'the timeout covers the body too');
  check('flaky', r.feeds[0].outcome, /no complete answer within/, 300);

  mode = 'garbage';
  r = await f.update(['flaky']);
  check('flaky', r.feeds[0].outcome, /no indicators/, 300);
  assert.equal(r.feeds[0].parsed, true);

  await gone.close();
  r = await f.update(['gone']);
  check('gone', r.feeds[0].outcome, /connection refused/, 30);

  assert.deepEqual(readFileSync(dataPath(f.feeds.dir, 'flaky')), good, 'the copy on disk is untouched');
  assert.equal(f.feeds.set.matchIp('45.0.1.1').length, 1, 'the set in use still has the good copy');
  assert.equal(f.feeds.set.matchIp('45.0.19.137').length, 1, 'and the unreachable feed too');
  assert.ok(f.logs.some((l) => /flaky: HTTP 500 Internal Server Error \(keeping the last good copy: 300 indicators\)/.test(l)), f.logs.join('\n'));

  // A fresh process, offline: load() serves the last good copies without any network.
  const offline = new IntelFeeds({ dir: f.feeds.dir, config: intel(), catalogue: [feed('flaky', 'http://127.0.0.1:9/x'), feed('gone', 'http://127.0.0.1:9/y')], fetch: () => Promise.reject(new Error('no network in this test')) });
  const set = offline.load();
  assert.equal(set.matchIp('45.0.1.1').length, 1);
  assert.equal(set.size, 330);
});

test('a feed that shrinks by 95 % is held back and reported; --force accepts it', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  let n = 1000;
  srv.routes.set('/shrink', (_req, res) => void res.writeHead(200).end(list(n)));
  const f = make([feed('shrink', `${srv.base}/shrink`)]);
  await f.update(['shrink']);
  assert.equal(f.feeds.set.size, 1000);
  const swaps = f.swaps.length;

  n = 50;
  const r = await f.update(['shrink']);
  assert.equal(r.feeds[0].outcome, 'held back');
  assert.equal(r.feeds[0].offered, 50);
  assert.equal(r.feeds[0].indicators, 1000);
  assert.match(r.feeds[0].error ?? '', /50 indicators, 95 % fewer than the 1000 in use: held back/);
  assert.equal(r.swapped, false);
  assert.equal(f.swaps.length, swaps, 'not swapped');
  assert.equal(f.feeds.set.matchIp('45.0.3.200').length, 1, 'entry 1000 is still matched');
  const st = f.feeds.list().find((s) => s.id === 'shrink')!;
  assert.equal(st.health, 'held back');
  assert.deepEqual({ ...st.heldBack, at: 0 }, { indicators: 50, previous: 1000, at: 0 });
  assert.ok(f.logs.some((l) => /shrink: .*held back/.test(l)));

  // A shrink of 80 % is normal churn, not held back.
  n = 200;
  const r2 = await f.update(['shrink']);
  assert.equal(r2.feeds[0].outcome, 'updated');
  assert.equal(f.feeds.list().find((s) => s.id === 'shrink')!.health, 'ok', 'a good copy clears the flag');

  n = 5;
  assert.equal((await f.update(['shrink'])).feeds[0].outcome, 'held back');
  const forced = await f.update(['shrink'], true);
  assert.equal(forced.feeds[0].outcome, 'updated');
  assert.equal(forced.feeds[0].indicators, 5);
  assert.equal(f.feeds.set.size, 5);
  assert.equal(f.swaps.at(-1), f.feeds.set, 'listeners got the set in use');
});

test('an oversized body is cut off at the cap and the last good copy is kept', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  const cap = 256 * 1024;
  let big = false;
  let written = 0;
  let aborted = false;
  srv.routes.set('/big', (_req, res) => {
    if (!big) return void res.writeHead(200).end(list(100));
    // 64 MiB of a valid list, streamed in 16 KiB writes honouring back-pressure, no Content-Length.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.from('45.1.2.3\n'.repeat(1820));
    let left = 4096;
    res.on('close', () => { if (!res.writableFinished) aborted = true; });
    const pump = () => {
      while (left > 0) {
        left--;
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const f = make([feed('big', `${srv.base}/big`)], { maxBytes: cap });
  await f.update(['big']);
  const good = readFileSync(dataPath(f.feeds.dir, 'big'));
  big = true;
  const r = await f.update(['big']);
  assert.equal(r.feeds[0].outcome, 'failed');
  assert.match(r.feeds[0].error ?? '', /passed the 262144-byte cap and was cut off/);
  assert.ok(r.feeds[0].bytes > cap, 'it read up to the cap');
  assert.ok(r.feeds[0].bytes <= cap + 65536, `read ${r.feeds[0].bytes} bytes: at most the cap plus one chunk`);
  await new Promise((res) => setTimeout(res, 100));
  assert.ok(aborted, 'the client hung up before the body ended');
  assert.ok(written < 64 * 1024 * 1024, `the server could only push ${written} bytes before the hang-up`);
  assert.equal(f.feeds.counters.cutOff, 1);
  assert.deepEqual(readFileSync(dataPath(f.feeds.dir, 'big')), good);
  assert.equal(f.feeds.set.size, 100);

  // A declared Content-Length over the cap is refused before reading the body.
  srv.routes.set('/big', (_req, res) => void res.writeHead(200, { 'content-length': String(cap + 1) }).end(Buffer.alloc(cap + 1, 0x0a)));
  const r2 = await f.update(['big']);
  assert.match(r2.feeds[0].error ?? '', /over the 262144-byte cap/);
  assert.equal(r2.feeds[0].bytes, 0);
});

test('401 on a key feed says "key missing/invalid"; the key is sent only where it belongs and never written anywhere', async (t) => {
  const srv = await serve();
  const other = await serve('127.0.0.2');
  t.after(srv.close);
  t.after(other.close);
  const KEY = 'S3cr3t-Auth-Key-0123456789abcdef';
  let accept = 'right-key';
  srv.routes.set('/export.csv', (req, res) => {
    if (req.headers['auth-key'] !== accept) return void res.writeHead(401).end('unauthorized');
    res.writeHead(200).end(list(40));
  });
  srv.routes.set('/moved', (_req, res) => void res.writeHead(302, { location: `${other.base}/elsewhere` }).end());
  other.routes.set('/elsewhere', (_req, res) => void res.writeHead(200).end(list(10, 900)));
  srv.routes.set('/user', (_req, res) => void res.writeHead(200).end(list(10, 700)));
  const keyed = { key: 'required' as const, keyInQuery: true, defaultOn: 'key' as const, keyHosts: ['127.0.0.1'] };
  const f = make([feed('keyed', `${srv.base}/export.csv`, keyed), feed('moved', `${srv.base}/moved`, keyed), feed('open', `${srv.base}/user`)], { config: { abuseChKey: KEY } });

  const r = await f.update(['keyed']);
  assert.equal(r.feeds[0].outcome, 'failed');
  assert.match(r.feeds[0].error ?? '', /abuse\.ch Auth-Key missing or invalid \(HTTP 401\)/);
  const st = f.feeds.list().find((s) => s.id === 'keyed')!;
  assert.equal(st.health, 'needs key');
  const hit = srv.seen.find((s) => s.path === '/export.csv')!;
  assert.equal(hit.headers['auth-key'], KEY, 'the key went to its host as the Auth-Key header');
  assert.equal(new URL(hit.url, 'http://x').searchParams.get('auth-key'), KEY, 'and as the auth-key query parameter');
  assert.match(st.source, /auth-key=\*\*\*|export\.csv$/);

  // A redirect to another host: the key does not follow.
  const m = await f.update(['moved']);
  assert.equal(m.feeds[0].outcome, 'updated');
  assert.equal(srv.seen.at(-1)!.headers['auth-key'], KEY);
  const away = other.seen.find((s) => s.path === '/elsewhere')!;
  assert.equal(away.headers['auth-key'], undefined, 'no Auth-Key to a redirect target on another host');

  // Feeds that do not use the key never get it.
  await f.update(['open']);
  assert.equal(srv.seen.find((s) => s.path === '/user')!.headers['auth-key'], undefined);

  // The right key works and clears "needs key".
  accept = KEY;
  assert.equal((await f.update(['keyed'])).feeds[0].outcome, 'updated');
  assert.equal(f.feeds.list().find((s) => s.id === 'keyed')!.health, 'ok');

  // Without a key the feed is not fetched at all.
  const nokey = make([feed('keyed', `${srv.base}/export.csv`, keyed)]);
  const before = srv.seen.length;
  await assert.rejects(nokey.update(['keyed']), /needs the free abuse\.ch Auth-Key/);
  assert.equal((await nokey.feeds.updateAll()).feeds.length, 0);
  assert.equal(srv.seen.length, before, 'nothing was requested');
  assert.equal(nokey.feeds.list()[0].health, 'needs key');

  // The key is in no log line, no error, no file.
  const everything = [...f.logs, ...f.feeds.list().map((s) => JSON.stringify(s))];
  for (const name of readdirSync(f.feeds.dir)) everything.push(readFileSync(join(f.feeds.dir, name), 'utf8'));
  for (const text of everything) assert.ok(!text.includes(KEY), `the key leaked into: ${text.slice(0, 200)}`);
  assert.ok(f.logs.length > 0);
});

test('maskSecrets hides the key, key-looking query values and URL credentials', () => {
  const k = 'abc123-key';
  assert.equal(maskSecrets(`GET https://x.abuse.ch/a.csv?auth-key=${k} failed for ${k}`, [k]), 'GET https://x.abuse.ch/a.csv?auth-key=*** failed for ***');
  assert.equal(maskSecrets('https://u:pw@example.org/l.txt?token=zzz&x=1'), 'https://***@example.org/l.txt?token=***&x=1');
  assert.equal(maskSecrets('short a', ['a']), 'short a', 'a 1-character "secret" does not shred the text');
});

test('a local file feed is re-read when its mtime changes, and only then', async () => {
  const f = make([]);
  const file = join(root, 'my-list.txt');
  writeFileSync(file, list(20, 3000));
  const added = f.feeds.add({ source: file, category: 'malware', name: 'My list' });
  assert.equal(added.id, 'my-list');
  assert.equal(added.severity, 'high', 'severity follows the category');
  let r = await f.feeds.updateDue(f.at(T0));
  assert.deepEqual(r.feeds.map((x) => [x.id, x.outcome, x.indicators]), [['my-list', 'updated', 20]]);
  assert.equal(f.feeds.set.matchIp('45.0.11.185')[0].category, 'malware');

  r = await f.feeds.updateDue(f.at(T0 + 30));
  assert.equal(r.feeds.length, 0, 'files are looked at once a minute');
  r = await f.feeds.updateDue(f.at(T0 + 61));
  assert.deepEqual(r.feeds.map((x) => [x.outcome, x.parsed]), [['unchanged', false]], 'same mtime: not re-read');

  writeFileSync(file, list(25, 3000));
  utimesSync(file, T0 + 100, T0 + 100);
  const swaps = f.swaps.length;
  r = await f.feeds.updateDue(f.at(T0 + 122));
  assert.deepEqual(r.feeds.map((x) => [x.outcome, x.previous, x.indicators]), [['updated', 20, 25]]);
  assert.equal(f.swaps.length, swaps + 1);
  assert.equal(f.feeds.set.matchIp('45.0.11.208').length, 1, 'a new entry is matched');

  // The file vanishes: failing, last good copy kept.
  rmSync(file);
  r = await f.feeds.updateDue(f.at(T0 + 200));
  assert.equal(r.feeds[0].outcome, 'failed');
  assert.match(r.feeds[0].error ?? '', /cannot read .*my-list\.txt \(ENOENT\)/);
  assert.equal(f.feeds.set.size, 25);

  // Removing the feed drops it from the next set.
  f.feeds.remove('my-list');
  r = await f.feeds.updateDue(f.at(T0 + 300));
  assert.equal(r.swapped, true);
  assert.equal(f.feeds.set.size, 0);
});

test('cadence: fetched when due, never faster; stale after three missed intervals; another process\'s update is picked up', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  let fail = false;
  let n = 10;
  srv.routes.set('/hourly', (_req, res) => (fail ? void res.writeHead(503).end() : void res.writeHead(200).end(list(n))));
  const dir = newDir();
  const f = make([feed('hourly', `${srv.base}/hourly`)], { dir });
  await f.feeds.updateDue(f.at(T0));
  assert.equal(srv.seen.length, 1);
  await f.feeds.updateDue(f.at(T0 + 1800));
  assert.equal(srv.seen.length, 1, 'not due after 30 minutes');
  await f.feeds.updateDue(f.at(T0 + 3600));
  assert.equal(srv.seen.length, 2, 'due after an hour');

  fail = true;
  await f.feeds.updateDue(f.at(T0 + 7200));
  assert.equal(srv.seen.length, 3);
  assert.equal(f.feeds.list()[0].health, 'failing');
  // After a failure, the retry is not faster than the provider's floor (1 h here).
  await f.feeds.updateDue(f.at(T0 + 7200 + 600));
  assert.equal(srv.seen.length, 3);
  await f.feeds.updateDue(f.at(T0 + 3 * 3600));
  assert.equal(srv.seen.length, 4);
  assert.equal(f.feeds.list(T0 + 3 * 3600 + 3601)[0].health, 'stale', 'no success for more than 3 intervals');

  // Another process (the CLI) updates the copy: this instance swaps it in on its next round.
  fail = false;
  n = 12;
  const cli = make([feed('hourly', `${srv.base}/hourly`)], { dir });
  cli.at(T0 + 3 * 3600 + 5);
  await cli.update(['hourly']);
  const r = await f.feeds.updateDue(f.at(T0 + 3 * 3600 + 10));
  assert.equal(r.feeds.length, 0, 'nothing due');
  assert.equal(r.swapped, true);
  assert.equal(f.feeds.set.size, 12);
});

test('feeds turned off are neither fetched nor loaded; intel.enabled=false stops scheduled updates', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  srv.routes.set('/a', (_req, res) => void res.writeHead(200).end(list(5)));
  srv.routes.set('/b', (_req, res) => void res.writeHead(200).end(list(7, 100)));
  const dir = newDir();
  const cat = [feed('a', `${srv.base}/a`), feed('b', `${srv.base}/b`, { defaultOn: 'optional' })];
  const f = make(cat, { dir });
  const r = await f.feeds.updateDue(f.at(T0));
  assert.deepEqual(r.feeds.map((x) => x.id), ['a']);
  assert.deepEqual(f.feeds.list().map((s) => [s.id, s.enabled, s.health]), [['a', true, 'ok'], ['b', false, 'off']]);
  const on = make(cat, { dir, config: { enable: ['b'], disabled: ['a'] } });
  await on.feeds.updateDue(on.at(T0 + 10));
  assert.equal(on.feeds.set.size, 7, 'only b: a is disabled');
  const off = make(cat, { dir: newDir(), config: { enabled: false } });
  const before = srv.seen.length;
  assert.equal((await off.feeds.updateDue(off.at(T0))).feeds.length, 0);
  assert.equal(srv.seen.length, before);
});

test('a MISP feed: manifest fetched conditionally, only recent events, changed ones re-fetched, the rest reused', async (t) => {
  const srv = await serve();
  t.after(srv.close);
  const uuid = (n: number) => `5f0c${n}000-0000-4000-8000-00000000000${n}`;
  const events = new Map<string, { date: string; timestamp: string; attrs: [string, string, boolean][] }>([
    [uuid(1), { date: '2025-06-01', timestamp: '1748736000', attrs: [['ip-dst', '45.8.0.1', true], ['domain', 'c2.evil.example', true], ['ip-dst', '45.8.0.99', false]] }],
    [uuid(2), { date: '2025-05-20', timestamp: '1747699200', attrs: [['ip-dst|port', '45.8.0.2|8443', true]] }],
    [uuid(3), { date: '2025-04-10', timestamp: '1744243200', attrs: [['url', 'http://payload.example/x.bin', true]] }],
    // Two years old: outside the 90-day window, never fetched.
    [uuid(4), { date: '2023-05-01', timestamp: '1682899200', attrs: [['ip-dst', '45.8.0.4', true]] }],
  ]);
  let failing = '';
  const manifest = () => Object.fromEntries([...events].map(([id, e]) => [id, { info: `event ${id.slice(4, 5)}`, date: e.date, timestamp: e.timestamp, threat_level_id: '1', analysis: '2', Orgc: { name: 'CIRCL' } }]));
  srv.routes.set('/misp/manifest.json', (req, res) => {
    const etag = `"${[...events.values()].map((e) => e.timestamp).join('-')}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
    res.writeHead(200, { etag, 'content-type': 'application/json' }).end(JSON.stringify(manifest()));
  });
  for (const id of events.keys()) {
    srv.routes.set(`/misp/${id}.json`, (_req, res) => {
      if (failing === id) return void res.writeHead(500).end();
      const e = events.get(id)!;
      const Attribute = e.attrs.map(([type, value, toIds], i) => ({ uuid: `a-${i}`, type, value, to_ids: toIds, category: 'Network activity' }));
      res.writeHead(200).end(JSON.stringify({ Event: { uuid: id, info: `event ${id.slice(4, 5)}`, date: e.date, timestamp: e.timestamp, threat_level_id: '1', Attribute } }));
    });
  }
  const f = make([feed('misp', `${srv.base}/misp/`, { format: 'misp', category: 'suspicious', severity: 'medium', everySeconds: 86400, minEverySeconds: 3600 })]);
  const paths = () => srv.seen.map((s) => s.path.replace('/misp/', '').replace(/^5f0c(\d)000.*\.json$/, 'event$1'));

  const r1 = await f.update(['misp']);
  assert.deepEqual(paths(), ['manifest.json', 'event1', 'event2', 'event3'], 'newest first; the old event is not fetched');
  assert.deepEqual([r1.feeds[0].outcome, r1.feeds[0].indicators], ['updated', 4], '4 to_ids attributes in the 3 recent events');
  const hit = f.feeds.set.matchDomain('www.c2.evil.example');
  assert.equal(hit.length, 1);
  assert.deepEqual([hit[0].feed, hit[0].severity, hit[0].description], ['misp', 'high', 'event 1']);
  assert.equal(f.feeds.set.matchIp('45.8.0.99').length, 0, 'not to_ids: not an indicator');
  assert.equal(f.feeds.set.matchIp('45.8.0.4').length, 0, 'outside the window');
  const eventFiles = () => readdirSync(join(f.feeds.dir, 'misp.events')).sort();
  assert.deepEqual(eventFiles(), [`${uuid(1)}.json`, `${uuid(2)}.json`, `${uuid(3)}.json`]);

  // Unchanged manifest: 304, no event fetched.
  srv.seen.length = 0;
  assert.equal((await f.update(['misp'])).feeds[0].outcome, 'unchanged');
  assert.deepEqual(paths(), ['manifest.json']);

  // Event 2 changes: only it is fetched again.
  events.get(uuid(2))!.timestamp = '1749000000';
  events.get(uuid(2))!.attrs.push(['domain', 'new.evil.example', true]);
  srv.seen.length = 0;
  const r3 = await f.update(['misp']);
  assert.deepEqual(paths(), ['manifest.json', 'event2']);
  assert.deepEqual([r3.feeds[0].outcome, r3.feeds[0].previous, r3.feeds[0].indicators], ['updated', 4, 5]);
  assert.equal(f.feeds.set.matchDomain('new.evil.example').length, 1);

  // Event 3 changes but its fetch fails: the older copy of it stays in use, the rest updates.
  events.get(uuid(3))!.timestamp = '1749100000';
  events.get(uuid(1))!.timestamp = '1749100001';
  events.get(uuid(1))!.attrs.push(['ip-dst', '45.8.0.11', true]);
  failing = uuid(3);
  srv.seen.length = 0;
  const r4 = await f.update(['misp']);
  assert.deepEqual(paths(), ['manifest.json', 'event1', 'event3']);
  assert.deepEqual([r4.feeds[0].outcome, r4.feeds[0].indicators], ['updated', 6]);
  assert.equal(f.feeds.set.matchUrl('payload.example/x.bin').length, 1, 'event 3 from its older copy');
  assert.ok(f.logs.some((l) => /misp: 1 MISP events could not be fetched/.test(l)));
  // Next time event 3 is tried again (its kept summary is the old one).
  failing = '';
  srv.seen.length = 0;
  await f.update(['misp']);
  assert.deepEqual(paths(), ['manifest.json', 'event3']);
  assert.deepEqual(eventFiles(), [`${uuid(1)}.json`, `${uuid(2)}.json`, `${uuid(3)}.json`]);
  assert.equal(existsSync(join(f.feeds.dir, 'misp.staging')), false, 'no staging left behind');

  // A fresh process loads the feed from the kept events, offline.
  const offline = new IntelFeeds({ dir: f.feeds.dir, config: intel(), catalogue: [feed('misp', 'http://127.0.0.1:9/misp/', { format: 'misp' })] });
  assert.equal(offline.load().size, 6);
});
