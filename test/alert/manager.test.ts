import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertManager } from '../../src/alert/manager.js';
import type { Alert } from '../../src/alert/alert.js';

function alert(ts: number, code: string, key: string): Alert {
  return { ts, code, severity: 'medium', device: null, summary: `${code} ${key}`, evidence: {}, key };
}

test('W7: per code, the first 25 new keys in 10 minutes pass, then 1 in 1,000; one alert.flood says so', () => {
  const stored: Alert[] = [];
  const heard: Alert[] = [];
  const m = new AlertManager({ maxPerMinute: 1e9 }).toStore((a) => stored.push(a)).on((a) => heard.push(a));
  // 5,025 different scan alerts within 10 minutes of packet time.
  for (let i = 0; i < 5025; i++) m.raise(alert(1000 + i * 0.1, 'scan.horizontal', `k${i}`));
  const scans = stored.filter((a) => a.code === 'scan.horizontal');
  assert.equal(scans.length, 25 + 5, 'the first 25, then every 1,000th of the remaining 5,000');
  assert.equal(m.suppressed, 4995);
  const flood = stored.filter((a) => a.code === 'alert.flood');
  assert.equal(flood.length, 1, 'one notice when sampling starts');
  assert.match(flood[0].summary, /scan\.horizontal/);
  // Another code is not affected by the first one's flood.
  m.raise(alert(1500, 'dns.tunnel', 'x'));
  assert.equal(stored.at(-1)?.code, 'dns.tunnel');
  // A new window: the count starts again, and the closing notice tells how many were only counted.
  m.raise(alert(1000 + 601, 'scan.horizontal', 'late'));
  const notices = stored.filter((a) => a.code === 'alert.flood');
  assert.equal(notices.at(-1)?.evidence.suppressed, 4995);
  assert.equal(stored.at(-1)?.key, 'late');
  assert.ok(heard.length < stored.length + 1);
});

test('W7: an identical alert reaches listeners once per hour but is counted by the store every time', () => {
  const stored: Alert[] = [];
  const heard: Alert[] = [];
  const m = new AlertManager().toStore((a) => stored.push(a)).on((a) => heard.push(a));
  for (let i = 0; i < 200; i++) m.raise(alert(i * 30, 'bruteforce.ssh', 'same'));
  assert.equal(stored.length, 200, 'the store bumps the open alert each time');
  assert.equal(heard.length, 2, 'listeners hear of it at 0 s and again at 3,600 s (raises every 30 s for 100 minutes)');
});

test('the global cap per minute bounds everything, counted', () => {
  const stored: Alert[] = [];
  let capped = 0;
  const m = new AlertManager({ maxPerMinute: 10, counters: (n) => { if (n === 'alert.rate_capped') capped++; } }).toStore((a) => stored.push(a));
  for (let i = 0; i < 50; i++) m.raise(alert(60, `code${i}`, `k${i}`));
  assert.equal(stored.length, 10);
  assert.equal(capped, 40);
});
