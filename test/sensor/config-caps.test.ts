/**
 * The caps in the config reach the parts they bound: a cap set in vigil.yaml that nothing reads
 * would be a promise the sensor does not keep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../src/sensor/pipeline.js';
import { feed } from '../../src/engine/analyze.js';
import { DEFAULTS, type VigilConfig } from '../../src/config/schema.js';
import { pcap } from '../helpers/analyze.js';

test('devices.max, devices.maxAddresses and baseline.maxItemsPerDevice bound the pipeline, counted', async () => {
  const config: VigilConfig = {
    ...DEFAULTS,
    devices: { ...DEFAULTS.devices, max: 1, maxAddresses: 1 },
  };
  const p = new Pipeline({ config, store: null });
  await feed(p.engine, [pcap('ndpi/android.pcap')]);
  p.finish();
  const stats = p.stats();
  assert.equal(p.inventory.size, 1, 'one device kept');
  assert.ok((stats['device.capped'] ?? 0) > 0, 'the others were counted');
  for (const d of p.inventory.all()) assert.ok(d.addresses.length <= 1, `${d.mac} keeps at most one address`);
});

test('baseline.maxItemsPerDevice bounds what each device learns, counted', async () => {
  const config: VigilConfig = { ...DEFAULTS, baseline: { ...DEFAULTS.baseline, maxItemsPerDevice: 1 } };
  const p = new Pipeline({ config, store: null });
  await feed(p.engine, [pcap('ndpi/android.pcap')]);
  p.finish();
  const phone = p.baselines.status('4c:6a:f6:9f:f6:27')[0];
  assert.ok(phone, 'the phone has a baseline');
  for (const k of ['country', 'asn', 'domain', 'service'] as const) assert.ok(phone.items[k].learned <= 1, `learned at most one ${k}`);
  assert.ok(phone.capped.length > 0, 'a kind hit the cap (the phone uses tcp/80, tcp/443 and udp/123)');
  const stats = p.stats();
  assert.ok((stats['baseline.kinds_capped'] ?? 0) + (stats['baseline.items_capped'] ?? 0) > 0, 'hitting the item cap is counted');
});
