import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha1Base64 } from '../../src/flow/sha1-small.js';

test('small-message SHA-1 equals node:crypto for every length 0..119', () => {
  const msg = new Uint8Array(119);
  for (let i = 0; i < msg.length; i++) msg[i] = (i * 37 + 11) & 255;
  for (let len = 0; len <= 119; len++) {
    const want = createHash('sha1').update(msg.subarray(0, len)).digest('base64');
    assert.equal(sha1Base64(msg, len), want, `length ${len}`);
  }
  assert.throws(() => sha1Base64(new Uint8Array(120), 120), RangeError);
});
