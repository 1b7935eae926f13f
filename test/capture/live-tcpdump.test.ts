/**
 * The real capture helper into the real reader: `tcpdump -w - | vigil analyze -`, with traffic
 * made inside a network namespace this test creates (nothing leaves it), bounded in count and time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/analyze.js';

const NS = `vigil-t${process.pid}`;
const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

// Runs inside the namespace: an HTTP server and client on loopback, and one DNS query over UDP.
const TRAFFIC = `
const http = require('node:http'); const dgram = require('node:dgram');
const srv = http.createServer((q, s) => s.end('ok')).listen(8080, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: 8080, path: '/vigil-probe', headers: { 'User-Agent': 'vigil-test' } }, (r) => {
    r.resume(); r.on('end', () => {
      const q = Buffer.from('12340100000100000000000005766967696c0474657374000001 0001'.replace(/ /g, ''), 'hex');
      const u = dgram.createSocket('udp4'); u.bind(() => {
        u.send(q, 53, '127.0.0.1', () => setTimeout(() => { u.close(); srv.close(); }, 300));
      });
    });
  });
});`;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
}

test('tcpdump -w - | vigil analyze - decodes a live capture from a test namespace', { timeout: 60_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test creates a network namespace: run the suite as root (CI does)');
  sh('ip', ['netns', 'add', NS]);
  const out = mkdtempSync(join(tmpdir(), 'vigil-live-'));
  t.after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(out, { recursive: true, force: true });
  });
  sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);

  // tcpdump writes the pcap stream to stdout (-U: flush per packet; --immediate-mode: no kernel
// buffering delay), straight into vigil's stdin.
  const dump = spawn('ip', ['netns', 'exec', NS, 'tcpdump', '-i', 'lo', '--immediate-mode', '-U', '-w', '-', '-s', '0', 'tcp port 8080 or udp port 53'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const vigil = spawn(process.execPath, [CLI, 'analyze', '-', '-o', out, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
  dump.stdout.pipe(vigil.stdin);
  let dumpErr = '';
  dump.stderr.on('data', (d: Buffer) => (dumpErr += d.toString()));
  let summary = '';
  vigil.stdout.on('data', (d: Buffer) => (summary += d.toString()));
  let vigilErr = '';
  vigil.stderr.on('data', (d: Buffer) => (vigilErr += d.toString()));

  // Wait until tcpdump is listening, then make the traffic.
  const deadline = Date.now() + 10_000;
  while (!dumpErr.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(dumpErr.includes('listening'), `tcpdump started: ${dumpErr}`);
  const traffic = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '-e', TRAFFIC], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(traffic.status, 0, traffic.stderr);
  // Without --immediate-mode tcpdump would hold packets up to its 1 s buffer timeout; with it, a
  // moment suffices before stopping it.
  await new Promise((r) => setTimeout(r, 700));
  dump.kill('SIGINT'); // tcpdump flushes and closes the stream; vigil sees end of input
  const code = await new Promise<number | null>((r) => vigil.on('close', r));
  assert.equal(code, 0, vigilErr);

  const s = JSON.parse(summary) as { packets: number; files: { format: string }[] };
  assert.equal(s.files[0].format, 'pcap');
  assert.ok(s.packets >= 8, `${s.packets} packets read from tcpdump's stream (tcpdump: ${dumpErr.trim()}; traffic: ${traffic.stdout}${traffic.stderr})`);
  const lines = (f: string) => readFileSync(join(out, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const conns = lines('conn.log');
  const tcp = conns.find((c) => c.proto === 'tcp' && c['id.resp_p'] === 8080);
  assert.ok(tcp, 'the HTTP connection is in conn.log');
  assert.equal(tcp.conn_state, 'SF');
  assert.equal(tcp.service, 'http');
  const http = lines('http.log');
  assert.equal(http[0].uri, '/vigil-probe');
  assert.equal(http[0].user_agent, 'vigil-test');
  assert.equal(http[0].status_code, 200);
  const dns = lines('dns.log');
  assert.equal(dns[0].query, 'vigil.test');
  assert.equal(dns[0].qtype_name, 'A');
});
