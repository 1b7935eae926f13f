import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registeredDomain } from '../../src/enrich/domain.js';

test('ICANN suffixes, including multi-label ones', () => {
  assert.equal(registeredDomain('www.example.com'), 'example.com');
  assert.equal(registeredDomain('example.com'), 'example.com');
  assert.equal(registeredDomain('news.bbc.co.uk'), 'bbc.co.uk');
  assert.equal(registeredDomain('a.b.c.example.com.au'), 'example.com.au');
  assert.equal(registeredDomain('r3---sn-4g5e6nzz.googlevideo.com'), 'googlevideo.com');
  assert.equal(registeredDomain('_dmarc.example.org'), 'example.org');
  assert.equal(registeredDomain('b'.repeat(63) + '.example.net'), 'example.net');
  assert.equal(registeredDomain('xn--bcher-kva.de'), 'xn--bcher-kva.de');
  // A bare public suffix has no registered domain.
  assert.equal(registeredDomain('co.uk'), null);
  assert.equal(registeredDomain('com'), null);
});

test('case and trailing dots do not matter; the result is lower case', () => {
  assert.equal(registeredDomain('WWW.Example.COM.'), 'example.com');
  assert.equal(registeredDomain('Mail.Google.Com..'), 'google.com');
  assert.equal(registeredDomain('.'), null);
  assert.equal(registeredDomain(''), null);
});

test('private PSL suffixes are honoured by default: each owner is its own domain', () => {
  assert.equal(registeredDomain('alice.github.io'), 'alice.github.io');
  assert.equal(registeredDomain('www.alice.github.io'), 'alice.github.io');
  assert.equal(registeredDomain('cam1.duckdns.org'), 'cam1.duckdns.org');
  assert.equal(registeredDomain('obj.my-bucket.s3.amazonaws.com'), 'my-bucket.s3.amazonaws.com');
  assert.equal(registeredDomain('github.io'), null);
  // The price: big providers' shared suffixes split too (each API host or CDN distribution).
  assert.equal(registeredDomain('play.googleapis.com'), 'play.googleapis.com');
  assert.equal(registeredDomain('d111abcdef8.cloudfront.net'), 'd111abcdef8.cloudfront.net');
  // ICANN-only, on request: the hosting provider's domain.
  assert.equal(registeredDomain('alice.github.io', { privateSuffixes: false }), 'github.io');
  assert.equal(registeredDomain('cam1.duckdns.org', { privateSuffixes: false }), 'duckdns.org');
  assert.equal(registeredDomain('play.googleapis.com', { privateSuffixes: false }), 'googleapis.com');
});

test('local names, reverse zones, IP literals and junk give null', () => {
  for (const n of ['printer.local', 'Living-Room-TV.local.', '_googlecast._tcp.local', 'router.lan', 'nas.home', 'x.internal', 'box.localdomain',
    'wpad', 'localhost', 'x.home.arpa', '1.2.0.192.in-addr.arpa', '8.8.8.8', '2001:4860:4860::8888', '[::1]', 'bad name.com', 'a..b.com', 'tab\tname.com', 'cr\rname.com', 'ünï.com', 'a' + 'b'.repeat(63) + '.com', 'x'.repeat(300) + '.com']) {
    assert.equal(registeredDomain(n), null, n);
  }
});
