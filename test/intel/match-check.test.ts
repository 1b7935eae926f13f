/**
 * `vigil intel check VALUE` as a user runs it, in a child process: a real config file (with an
 * allow-list), a real intel directory holding the last good copy of a feed the owner added from
 * a local file (set up through IntelFeeds, as `vigil intel add` + `update` do), real lookups.
 * Exit status: 0 listed, 1 not listed, 2 unusable input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/analyze.js';
import { IntelFeeds, intelDir } from '../../src/intel/feeds.js';
import { loadConfig } from '../../src/config/load.js';
import { AllowList } from '../../src/intel/allow.js';
import { IndicatorSet } from '../../src/intel/indicator-set.js';
import { checkValue, classify, formatCheck, type CheckResult } from '../../src/intel/check.js';

const MODULE = join(REPO, 'dist', 'src', 'intel', 'check.js');
const RUNNER = `import(process.argv[1]).then((m) => m.runIntelCheck(JSON.parse(process.argv[2]))).then(
  (c) => { process.exitCode = c; },
  (e) => { process.stderr.write('vigil: ' + e.message + (e.code ? ' [' + e.code + ']' : '') + '\\n'); process.exitCode = e.code ? 1 : 70; })`;

function check(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, MODULE, JSON.stringify(args)], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('vigil intel check: listed values with feed, category, reference; allow-listed ones say so; exit codes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const feedFile = join(dir, 'my-c2.txt');
  writeFileSync(feedFile, [
    '# the owner\'s own list',
    '5.45.123.152',
    '46.101.16.0/24',
    'evil.example.org',
    'b386946a5a44d1ddcc843bc75336dfce',
    '',
  ].join('\n'));
  const cfg = join(dir, 'vigil.yaml');
  writeFileSync(cfg, `dataDir: ${join(dir, 'data')}\nintel:\n  allow: [ok.evil.example.org, 46.101.16.0/25]\n`);
  const { config } = loadConfig(cfg);
  const feeds = new IntelFeeds({ dir: intelDir(config), config: config.intel });
  const added = feeds.add({ source: feedFile, format: 'plain', category: 'c2', severity: 'high', name: 'My C2 list' });
  const report = await feeds.updateAll({ ids: [added.id] });
  assert.equal(report.feeds.find((f) => f.id === added.id)?.outcome, 'updated');

  const ip = check('5.45.123.152', '--config', cfg, '--json');
  assert.equal(ip.status, 0, ip.stderr);
  const r = JSON.parse(ip.stdout) as CheckResult;
  assert.equal(r.kind, 'ip');
  assert.equal(r.listed, true);
  assert.equal(r.allowed, null);
  assert.deepEqual(r.listings.map((l) => [l.feed, l.feedName, l.type, l.value, l.category, l.severity]), [
    [added.id, 'My C2 list', 'ip', '5.45.123.152', 'c2', 'high'],
  ]);

  // The table: the listing in a sentence, then the allow-list verdict.
  const text = check('5.45.123.152', '--config', cfg);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^5\.45\.123\.152 is listed once:\n  - My C2 list \[[a-z0-9-]+\] lists 5\.45\.123\.152 as a botnet command-and-control server; severity high\n/);
  assert.match(text.stdout, /It is not allow-listed: traffic to or from it raises an alert\.\n$/);

  // A name under a listed domain is listed (parent domains count); the owner's entry allows this one.
  const sub = check('https://ok.evil.example.org/login.php', '--config', cfg, '--json');
  assert.equal(sub.status, 0, sub.stderr);
  const s = JSON.parse(sub.stdout) as CheckResult;
  assert.equal(s.kind, 'url');
  assert.equal(s.normalized, 'ok.evil.example.org/login.php');
  assert.deepEqual(s.listings.map((l) => l.value), ['evil.example.org']);
  assert.match(s.allowed ?? '', /^ok\.evil\.example\.org \(your allow-list\)$/);
  const subText = check('ok.evil.example.org', '--config', cfg);
  assert.match(subText.stdout, /It is allow-listed by ok\.evil\.example\.org \(your allow-list\): it raises no alert\.\n$/);

  // An address inside a listed network; half of the network is allowed.
  const inNet = JSON.parse(check('46.101.16.200', '--config', cfg, '--json').stdout) as CheckResult;
  assert.deepEqual([inNet.listings[0].value, inNet.allowed], ['46.101.16.0/24', null]);
  const allowedNet = JSON.parse(check('46.101.16.5', '--config', cfg, '--json').stdout) as CheckResult;
  assert.match(allowedNet.allowed ?? '', /^46\.101\.16\.0\/25 /);

  // A JA3 hash; then values nobody lists; a built-in allow entry; garbage.
  assert.equal(check('B386946A5A44D1DDCC843BC75336DFCE', '--config', cfg).status, 0);
  const none = check('8.8.4.4', '--config', cfg);
  assert.equal(none.status, 1);
  assert.match(none.stdout, /^8\.8\.4\.4 is not listed \(4 indicators loaded\)\.\nIt is allow-listed by 8\.8\.4\.4 \(built-in: public DNS resolver \(Google\)\): it raises no alert\.\n$/);
  const bad = check('not a value!', '--config', cfg);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /not an IP address, network, domain, URL, fingerprint or hash/);
  const usage = check('--config', cfg);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /give one value to look up/);
});

test('classify: what a value is read as', () => {
  assert.deepEqual(classify('1.2.3.4'), { kind: 'ip', normalized: '1.2.3.4', host: '' });
  assert.deepEqual(classify('2001:DB8::1'), { kind: 'ip', normalized: '2001:db8::1', host: '' });
  assert.equal(classify('10.0.0.0/8').kind, 'cidr');
  assert.deepEqual(classify('Evil.Example.'), { kind: 'domain', normalized: 'evil.example', host: 'evil.example' });
  assert.deepEqual(classify('HTTP://Evil.Example:8080/A/b?c=1'), { kind: 'url', normalized: 'evil.example/A/b?c=1', host: 'evil.example' });
  assert.deepEqual(classify('evil.example/x.php'), { kind: 'url', normalized: 'evil.example/x.php', host: 'evil.example' });
  assert.equal(classify('d41d8cd98f00b204e9800998ecf8427e').kind, 'ja3');
  assert.equal(classify('da39a3ee5e6b4b0d3255bfef95601890afd80709').kind, 'hash');
  assert.equal(classify('t13d1516h2_8daaf6152771_02713d6af862').kind, 'ja4');
  assert.equal(classify('hello world').kind, 'unknown');
  assert.equal(classify('300.1.1.1').kind, 'unknown');
});

test('checkValue: a URL is listed by its exact URL entry and by its host', () => {
  const set = IndicatorSet.build([[
    { type: 'url', value: 'bad.example.net/payload/x.sh', port: 0, feed: 'urlhaus', category: 'malware', severity: 'high', description: 'Mozi', reference: 'https://urlhaus.abuse.ch/url/1/' },
    { type: 'domain', value: 'example.net', port: 0, feed: 'mine', category: 'suspicious', severity: 'low', description: '', reference: '' },
  ]]);
  const r = checkValue('http://bad.example.net/payload/x.sh', { lookup: set, allow: new AllowList(), feedName: (id) => id });
  assert.deepEqual(r.listings.map((l) => l.feed).sort(), ['mine', 'urlhaus']);
  assert.match(formatCheck(r), /urlhaus lists bad\.example\.net\/payload\/x\.sh as a malware distribution site \(Mozi\); severity high\n    https:\/\/urlhaus\.abuse\.ch\/url\/1\/\n/);
});
