/**
 * Fuzz findings, each as the smallest input that showed it, built in code (R6: a crash becomes a
 * regression test). Each case names the fuzz test that found it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameParser } from '../../src/capture/frame-parser.js';
import { Engine } from '../../src/engine/engine.js';
import { createAnalyzers } from '../../src/decode/app/registry.js';
import { LogDirectory } from '../../src/logs/log-dir.js';
import { ecsDocument } from '../../src/logs/ecs.js';

// ---- pcapng builder (little-endian) ----

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
  const len = 12 + body.length + pad.length;
  return Buffer.concat([u32(type), u32(len), body, pad, u32(len)]);
}

/** ARP who-has 192.168.0.2 tell 192.168.0.1, Ethernet broadcast. */
const ARP_REQUEST = Buffer.from('ffffffffffff00112233445508060001080006040001001122334455c0a80001000000000000c0a80002', 'hex');

/** One pcapng section, one Ethernet interface (µs), one EPB with the given 64-bit timestamp. */
function pcapngWithTimestamp(hi: number, lo: number, packet: Buffer): Buffer {
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]));
  const idb = block(1, Buffer.concat([u16(1), u16(0), u32(0)]));
  const epb = block(6, Buffer.concat([u32(0), u32(hi), u32(lo), u32(packet.length), u32(packet.length), packet]));
  return Buffer.concat([shb, idb, epb]);
}

/*
 * Found by the capture framing fuzz (fuzz.test.ts), iteration with a mutated EPB timestamp.
 * A pcapng timestamp of 2^64-1 µs is 1.8e13 s, beyond what a JavaScript Date can hold (8.64e12 s,
 * year 275760). The record reaches the ECS writer, where `new Date(ts * 1000).toISOString()`
 * throws RangeError: Invalid time value; `vigil analyze --format ecs` dies with an internal error
 * (exit 70) on such a capture instead of writing the record or reporting the damage:
 *
 *   RangeError: Invalid time value
 *     at Date.toISOString (<anonymous>)
 *     at ecsDocument (src/logs/ecs.ts)
 *     at LogDirectory.record (src/logs/log-dir.ts)
 *     at #arp (src/engine/engine.ts)
 *     at Engine.packet (src/engine/engine.ts)
 *     at #deliverNg (src/capture/frame-parser.ts)
 */
test('fuzz finding: a pcapng timestamp beyond the Date range does not crash ECS output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-regress-'));
  try {
    const logs = new LogDirectory(dir, 'ecs');
    const engine = new Engine(createAnalyzers(), logs, { seed: 1 });
    const parser = new FrameParser(engine, 0);
    assert.doesNotThrow(() => {
      parser.push(pcapngWithTimestamp(0xffffffff, 0xffffffff, ARP_REQUEST));
      parser.finish();
      engine.finish();
      logs.close();
    });
    assert.equal(parser.records, 1);
    const f = join(dir, 'arp.ndjson');
    assert.ok(existsSync(f), 'the ARP record was written');
    assert.equal(readFileSync(f, 'utf8').trim().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz finding (unit): ecsDocument accepts any finite packet time', () => {
  for (const ts of [0, 1.7e9, 8.64e12 + 1, 18446744073709.55, 2 ** 64]) {
    assert.doesNotThrow(() => ecsDocument('arp', ts, null, { operation: 'request' }, 'host'), `ts ${ts}`);
  }
});
