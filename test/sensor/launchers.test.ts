/**
 * The sensor's launchers start Node with the heap flags the memory figures were measured with
 * (src/sensor/runtime.ts); a launcher that drifts would silently double the sensor's memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/analyze.js';
import { SENSOR_NODE_FLAGS } from '../../src/sensor/runtime.js';

test('start.sh and the systemd unit pass SENSOR_NODE_FLAGS to node', () => {
  const flags = SENSOR_NODE_FLAGS.join(' ');
  assert.ok(readFileSync(join(REPO, 'scripts', 'start.sh'), 'utf8').includes(`node ${flags} dist/src/cli/main.js run`));
  assert.ok(readFileSync(join(REPO, 'deploy', 'vigil.service'), 'utf8').includes(`/usr/bin/node ${flags} /opt/vigil/dist/src/cli/main.js run`));
});

test('the flags are accepted by this node and set a heap limit under the warning threshold', () => {
  const r = spawnSync(process.execPath, [...SENSOR_NODE_FLAGS, '-p', 'require("v8").getHeapStatistics().heap_size_limit'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Number(r.stdout) < 512 * 1024 * 1024, `heap limit ${r.stdout}`);
});
