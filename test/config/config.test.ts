import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, dbPath } from '../../src/config/load.js';
import { DEFAULTS, RULES } from '../../src/config/schema.js';
import { isVigilError } from '../../src/util/errors.js';
import { REPO } from '../helpers/analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function configError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isVigilError(e), `expected a VigilError, got ${String(e)}`);
    assert.equal(e.code, 'VIGIL_ERR_CONFIG');
    return e.message;
  }
  assert.fail('expected an error');
}

test('no file: defaults, and the database under the data directory', () => {
  const { config, file: used } = loadConfig(file('empty.yaml', ''));
  assert.notEqual(used, null);
  assert.deepEqual(config, DEFAULTS);
  assert.equal(dbPath(config), join('./data', 'vigil.db'));
});

test('values from the file and the command line, command line wins', () => {
  const p = file('a.yaml', 'dataDir: /srv/vigil\ncapture:\n  interface: eth1\n  bpf: not port 22\nbaseline:\n  learningDays: 2\n');
  const { config } = loadConfig(p, { 'capture.interface': 'eth2', db: undefined });
  assert.equal(config.capture.interface, 'eth2');
  assert.equal(config.capture.bpf, 'not port 22');
  assert.equal(config.baseline.learningDays, 2);
  assert.equal(dbPath(config), '/srv/vigil/vigil.db');
  assert.equal(config.store.flowsDays, DEFAULTS.store.flowsDays, 'untouched keys keep their default');
});

test('booleans and lists', () => {
  const p = file('l.yaml', 'intel:\n  enabled: no\n  allow: [1.1.1.1, example.com]\n  disabled: feodo, tor\n');
  const { config } = loadConfig(p);
  assert.equal(config.intel.enabled, false);
  assert.deepEqual(config.intel.allow, ['1.1.1.1', 'example.com']);
  assert.deepEqual(config.intel.disabled, ['feodo', 'tor']);
  assert.match(configError(() => loadConfig(file('b.yaml', 'intel:\n  enabled: maybe\n'))), /'intel\.enabled' must be true or false/);
  assert.match(configError(() => loadConfig(file('c.yaml', 'intel:\n  allow: {a: 1}\n'))), /unknown setting 'intel\.allow\.a'|must be a list/);
});

test('a typo is an error that suggests the right key', () => {
  const m = configError(() => loadConfig(file('typo.yaml', 'store:\n  flowDays: 3\n')));
  assert.match(m, /unknown setting 'store\.flowDays' \(did you mean 'store\.flowsDays'\?\)/);
});

test('wrong types, ranges and choices are errors naming the key', () => {
  assert.match(configError(() => loadConfig(file('t1.yaml', 'engine:\n  maxFlows: lots\n'))), /'engine\.maxFlows' must be a number/);
  assert.match(configError(() => loadConfig(file('t2.yaml', 'engine:\n  maxFlows: 10\n'))), /between 1024 and/);
  assert.match(configError(() => loadConfig(file('t3.yaml', 'capture:\n  helper: wireshark\n'))), /one of tcpdump, dumpcap/);
  assert.match(configError(() => loadConfig(file('t4.yaml', 'capture: eth0\n'))), /unknown setting 'capture'|must be/);
  assert.match(configError(() => loadConfig(file('t5.yaml', 'a: [1\n'))), /not valid YAML/);
  assert.match(configError(() => loadConfig(join(dir, 'missing.yaml'))), /cannot read the config file .*missing\.yaml \(ENOENT\)/);
  assert.match(configError(() => loadConfig(undefined, { 'devices.max': 0 })), /command line: 'devices\.max' must be between 1/);
});

test('vigil.example.yaml holds every key with its default, and nothing else', () => {
  const { config } = loadConfig(join(REPO, 'vigil.example.yaml'));
  assert.deepEqual(config, DEFAULTS);
  const text = readFileSync(join(REPO, 'vigil.example.yaml'), 'utf8');
  for (const key of Object.keys(RULES)) {
    const leaf = key.split('.').pop() as string;
    assert.match(text, new RegExp(`^\\s*${leaf}:`, 'm'), `${key} is documented in vigil.example.yaml`);
  }
  const doc = readFileSync(join(REPO, 'docs', 'CONFIG.md'), 'utf8');
  for (const key of Object.keys(RULES)) assert.ok(doc.includes(key.split('.').pop() as string), `${key} in docs/CONFIG.md`);
});
