/**
 * SSH through the real engine on corpus captures, compared with the answer keys of Zeek (ssh.log)
 * and Arkime (session ssh.*: version strings, HASSH, host key).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readZeekTsv } from './oracles.js';


test('zeek ssh_kex_curve25519.pcap: ssh.log equals Zeek, auth heuristic included', async () => {
  const r = await analyzeFile(pcap('zeek/ssh_kex_curve25519.pcap'));
  const z = readZeekTsv(join(ORACLES, 'zeek/ssh_kex_curve25519.pcap.zeek.ssh.log'));
  const ours = r.of('ssh');
  assert.equal(z.length, 1);
  assert.equal(ours.length, 1);
  const o = ours[0];
  const zr = z[0];
  for (const k of ['id.orig_h', 'id.resp_h', 'client', 'server', 'cipher_alg', 'mac_alg', 'compression_alg',
    'kex_alg', 'host_key_alg']) {
    assert.equal(o[k], zr[k], k);
  }
  for (const k of ['id.orig_p', 'id.resp_p', 'version', 'auth_attempts']) assert.equal(o[k], Number(zr[k]), k);
  assert.equal(o.auth_success, zr.auth_success === 'T');
  assert.equal(o.direction, undefined, 'needs local networks: left to enrichment');
  // The baseline shows the fingerprint cut short; ours is the full `ssh-keygen -l` form.
  assert.ok((o.host_key_fingerprint as string).startsWith(zr.host_key_fingerprint), String(o.host_key_fingerprint));
  assert.equal(o.host_key_fingerprint, 'SHA256:trtjp/Gp6neQFvx/rk16+fmc3q8dWs/03Zk6dBczi7k');
  assert.equal(r.of('conn')[0].service, 'ssh');
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('ssh')), []);
});

interface ArkimeSsh { hassh: string[]; hasshServer: string[]; key: string[]; version: string[] }

test('arkime ssh2.pcap: HASSH, HASSHServer, versions and host key equal Arkime', async () => {
  const r = await analyzeFile(pcap('arkime/ssh2.pcap'));
  const doc = JSON.parse(readFileSync(join(ORACLES, 'arkime/ssh2.pcap.arkime.test.json'), 'utf8')) as
    { sessions3: { body: { ssh?: ArkimeSsh; source: { port: number } } }[] };
  const sessions = doc.sessions3.filter((s) => s.body.ssh !== undefined);
  assert.equal(sessions.length, 1);
  const a = sessions[0].body.ssh as ArkimeSsh;
  const ours = r.of('ssh');
  assert.equal(ours.length, 1);
  const o = ours[0];
  assert.equal(o['id.orig_p'], sessions[0].body.source.port);
  assert.deepEqual([o.hassh], a.hassh);
  assert.deepEqual([o.hasshServer], a.hasshServer);
  // Arkime lower-cases and sorts the two version strings.
  assert.deepEqual([String(o.client).toLowerCase(), String(o.server).toLowerCase()].sort(), [...a.version].sort());
  const key = Buffer.from(a.key[0], 'base64');
  const want = 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
  assert.equal(o.host_key_fingerprint, want);
  // SSH-1.99 server with an SSH-2 client: version 2 (Zeek's set_version).
  assert.equal(o.version, 2);
  assert.equal(o.kex_alg, 'diffie-hellman-group-exchange-sha1');
  // Too few server packets after NEWKEYS for the heuristic to decide, as in Zeek.
  assert.equal(o.auth_success, undefined);
  assert.equal(o.auth_attempts, 0);
  assert.equal(r.of('conn')[0].service, 'ssh');
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('ssh')), []);
});
