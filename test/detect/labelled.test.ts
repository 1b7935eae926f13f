/**
 * The detectors against every judged capture: each expected alert fires for the right device
 * (recall 100 % on the labelled fixtures and the corpus attacks), and on the benign corpus no alert
 * above `low` fires. The per-detector precision/recall table in docs/DETECTION.md comes from the
 * same cases (bench/detection.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { detectFile } from '../helpers/detect.js';
import { ALARM, corpusCases, scenarioCases, type DetectionCase } from './cases.js';

async function check(c: DetectionCase): Promise<void> {
  assert.ok(existsSync(c.file), `${c.file} exists`);
  const r = await detectFile(c.file, { config: c.config });
  const seen = r.alerts.map((a) => `${a.code} ${a.device ?? '-'} ${a.severity}: ${a.summary}`).join('\n  ');
  for (const e of c.expect) {
    const hit = r.alerts.find((a) => a.code === e.code && (a.device ?? null) === e.device);
    assert.ok(hit, `${c.name}: expected ${e.code} for ${e.device ?? 'no device'}; got:\n  ${seen || 'no alerts'}`);
  }
  if (c.benign) {
    const loud = r.alerts.filter((a) => ALARM.has(a.severity));
    assert.deepEqual(loud.map((a) => `${a.code}: ${a.summary}`), [], `${c.name}: nothing above low on benign traffic`);
  }
}

const scenarios = scenarioCases();
test('the labelled scenario fixtures exist', () => {
  assert.ok(scenarios.length >= 10, `test/fixtures/scenarios/labels.json lists ${scenarios.length} scenarios`);
});
for (const c of scenarios) test(`scenario ${c.name}`, () => check(c));
for (const c of corpusCases()) test(c.name, () => check(c));
