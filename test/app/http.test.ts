import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpFactory, HTTP_PORTS } from '../../src/decode/app/http/index.js';
import { parseChunkSize, unescapeUri, basicAuthUser } from '../../src/decode/app/http/parse.js';
import type { AppAnalyzer, LogFields } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- helpers: HTTP/1.1 messages are text (RFC 9112), so tests write them as strings ----

const CRLF = '\r\n';

function req(method: string, target: string, headers: string[] = [], body = '', version = 'HTTP/1.1'): string {
  return method + ' ' + target + ' ' + version + CRLF + headers.map((h) => h + CRLF).join('') + CRLF + body;
}

function resp(code: number, reason: string, headers: string[] = [], body = '', version = 'HTTP/1.1'): string {
  return version + ' ' + code + (reason === '' ? '' : ' ' + reason) + CRLF + headers.map((h) => h + CRLF).join('') + CRLF + body;
}

interface Run { a: AppAnalyzer; sink: RecordingSink }

function start(): Run {
  const sink = new RecordingSink();
  const a = createHttpFactory().create(testConn({ proto: 'tcp', respP: 80 }), sink);
  return { a, sink };
}

/** Delivers `s` in pieces of `step` bytes (0 = in one call), embedded at an offset in a larger buffer. */
function send(r: Run, isOrig: boolean, s: string | Buffer, ts = 1, step = 0): void {
  const data = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  // Bytes around the view make sure nobody reads past off + len.
  const big = Buffer.concat([Buffer.from('\n\nJUNK'), data, Buffer.from('\n\r\nGARBAGE\n')]);
  const base = 6;
  if (step <= 0) {
    r.a.deliver(isOrig, big, base, data.length, ts);
    return;
  }
  for (let i = 0; i < data.length; i += step) {
    r.a.deliver(isOrig, big, base + i, Math.min(step, data.length - i), ts);
  }
}

function only(r: Run): LogFields {
  const logs = r.sink.of('http');
  assert.equal(logs.length, 1, JSON.stringify(logs));
  return logs[0];
}

function weirdNames(r: Run): string[] {
  return r.sink.weirds.map((w) => w.name);
}

// ---- basics ----

test('GET with Content-Length response: every http.log field', () => {
  const r = start();
  send(r, true, req('GET', '/download/CHANGES.bro-aux.txt', [
    'User-Agent: Wget/1.14 (darwin12.2.0)', 'Accept: */*', 'Host: bro.org:8080',
    'Referer: http://example.com/', 'Origin: http://example.com', 'Connection: Keep-Alive',
  ]), 10);
  assert.equal(r.sink.of('http').length, 0, 'nothing logged before the response');
  send(r, false, resp(200, 'OK', ['Content-Type: text/plain; charset=UTF-8', 'Content-Length: 11'], 'hello world'), 11);
  assert.deepEqual(only(r), {
    trans_depth: 1, method: 'GET', host: 'bro.org:8080', uri: '/download/CHANGES.bro-aux.txt',
    referrer: 'http://example.com/', version: '1.1', user_agent: 'Wget/1.14 (darwin12.2.0)',
    origin: 'http://example.com', request_body_len: 0, response_body_len: 11, status_code: 200,
    status_msg: 'OK', content_type: 'text/plain',
  });
  assert.equal(r.sink.logs[0].ts, 10, 'record time is the request time');
  assert.equal(r.a.confirmed, true);
  assert.deepEqual(r.sink.weirds, []);
});

test('same exchange split at every byte gives the same record', () => {
  const q = req('POST', '/api/x?a=1', ['Host: h', 'User-Agent: ua', 'Content-Length: 5'], 'abcde');
  const s = resp(200, 'OK', ['Transfer-Encoding: chunked'], '3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n');
  const whole = start();
  send(whole, true, q);
  send(whole, false, s);
  for (const step of [1, 2, 3, 7]) {
    const r = start();
    send(r, true, q, 1, step);
    send(r, false, s, 1, step);
    assert.deepEqual(only(r), only(whole), 'step ' + step);
  }
  assert.equal(only(whole).request_body_len, 5);
  assert.equal(only(whole).response_body_len, 5);
});

test('pipelined requests are matched to responses in order, trans_depth counts', () => {
  const r = start();
  send(r, true, req('GET', '/a', ['Host: x']) + req('HEAD', '/b', ['Host: x']) + req('GET', '/c', ['Host: x']));
  send(r, false,
    resp(200, 'OK', ['Content-Length: 3'], 'aaa') +
    // HEAD: Content-Length describes the GET body that is not sent.
    resp(200, 'OK', ['Content-Length: 1000']) +
    resp(404, 'Not Found', ['Content-Length: 2'], 'nf'));
  const logs = r.sink.of('http');
  assert.deepEqual(logs.map((l) => [l.trans_depth, l.method, l.uri, l.status_code, l.response_body_len]), [
    [1, 'GET', '/a', 200, 3], [2, 'HEAD', '/b', 200, 0], [3, 'GET', '/c', 404, 2],
  ]);
});

test('chunked body then keep-alive response on the same connection', () => {
  const r = start();
  send(r, true, req('GET', '/1', []) + req('GET', '/2', []));
  send(r, false, resp(200, 'OK', ['Transfer-Encoding: gzip, chunked'], 'a\r\n0123456789\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n'));
  send(r, false, resp(200, 'OK', ['Content-Length: 4'], 'done'));
  const logs = r.sink.of('http');
  assert.equal(logs.length, 2);
  assert.equal(logs[0].response_body_len, 26);
  assert.equal(logs[1].response_body_len, 4);
  assert.equal(logs[1].uri, '/2');
});

test('100-continue: info_code/info_msg, final status, request body counted', () => {
  const r = start();
  send(r, true, req('POST', '/upload', ['Host: h', 'Expect: 100-continue', 'Content-Length: 10']));
  send(r, false, resp(100, 'Continue'));
  assert.equal(r.sink.of('http').length, 0, 'interim reply does not finish the pair');
  send(r, true, '0123456789');
  send(r, false, resp(201, 'Created', ['Content-Length: 0']));
  const l = only(r);
  assert.equal(l.info_code, 100);
  assert.equal(l.info_msg, 'Continue');
  assert.equal(l.status_code, 201);
  assert.equal(l.status_msg, 'Created');
  assert.equal(l.request_body_len, 10);
});

test('response finished before the request body waits for the body', () => {
  const r = start();
  send(r, true, req('PUT', '/big', ['Content-Length: 6']) + 'abc');
  send(r, false, resp(413, 'Payload Too Large', ['Content-Length: 0']));
  assert.equal(r.sink.of('http').length, 0);
  send(r, true, 'def');
  assert.equal(only(r).request_body_len, 6);
});

test('204 and 304 have no body even with Content-Length', () => {
  const r = start();
  send(r, true, req('GET', '/a', []) + req('GET', '/b', []) + req('GET', '/c', []));
  send(r, false, resp(204, 'No Content', ['Content-Length: 50']) + resp(304, 'Not Modified', ['Content-Length: 50']) +
    resp(200, 'OK', ['Content-Length: 1'], 'z'));
  assert.deepEqual(r.sink.of('http').map((l) => [l.status_code, l.response_body_len]), [[204, 0], [304, 0], [200, 1]]);
});

test('close-delimited response is counted until finish', () => {
  const r = start();
  send(r, true, req('GET', '/', [], '', 'HTTP/1.0'));
  send(r, false, resp(200, 'OK', [], 'part1', 'HTTP/1.0'));
  send(r, false, 'part2-longer');
  assert.equal(r.sink.of('http').length, 0);
  r.a.finish(5);
  const l = only(r);
  assert.equal(l.response_body_len, 17);
  assert.equal(l.version, '1.0');
  assert.equal(r.a.done, true);
});

test('unanswered request is logged at finish with the request version', () => {
  const r = start();
  send(r, true, req('GET', '/nobody-home', ['Host: h']), 3);
  r.a.finish(9);
  const l = only(r);
  assert.equal(l.version, '1.1');
  assert.equal(l.status_code, undefined);
  assert.equal(l.response_body_len, 0);
  assert.equal(r.sink.logs[0].ts, 3);
});

// ---- credentials and strings ----

test('Basic auth: username kept, password never logged', () => {
  const r = start();
  const cred = Buffer.from('admin:s3cr3t-PASS').toString('base64');
  send(r, true, req('GET', '/cgi-bin/luci', ['Host: router', 'Authorization: Basic ' + cred]));
  send(r, false, resp(401, 'Unauthorized', ['Content-Length: 0']));
  const l = only(r);
  assert.equal(l.username, 'admin');
  assert.equal(l.password, undefined);
  const all = JSON.stringify(r.sink.logs) + JSON.stringify(r.sink.weirds);
  assert.equal(all.includes('s3cr3t'), false);
  assert.equal(all.includes(cred), false);
});

test('Basic auth without a colon is a weird and logs no username', () => {
  const r = start();
  send(r, true, req('GET', '/', ['Proxy-Authorization: basic ' + Buffer.from('nocolon').toString('base64')]));
  send(r, false, resp(407, 'Proxy Auth', ['Content-Length: 0']));
  assert.equal(only(r).username, undefined);
  assert.ok(weirdNames(r).includes('http_basic_auth_malformed'));
  assert.equal(basicAuthUser(Buffer.from('Bearer abc'), 0, 10, 256), '');
  const b = Buffer.from('Basic ' + Buffer.from('u:p').toString('base64'));
  assert.equal(basicAuthUser(b, 0, b.length, 256), 'u');
});

test('URI is percent-decoded like Zeek; bad escapes are weird; control bytes are escaped', () => {
  const r = start();
  send(r, true, req('GET', '/a%20b/%41%zz/%u0041/%00x', ['Host: h']));
  send(r, false, resp(200, 'OK', ['Content-Length: 0']));
  assert.equal(only(r).uri, '/a b/A%zz/A/\\x00x');
  assert.ok(weirdNames(r).includes('http_uri_bad_escape'));
  const out = { text: '', truncated: false, badEscape: false };
  const long = Buffer.from('/' + 'x'.repeat(400));
  unescapeUri(long, 0, long.length, 256, out);
  assert.equal(out.text.length, 256);
  assert.equal(out.truncated, true);
});

test('user agent capped at 512, other strings at 256; URI cut is counted', () => {
  const r = start();
  send(r, true, req('GET', '/' + 'u'.repeat(1000), ['User-Agent: ' + 'A'.repeat(2000), 'Host: ' + 'h'.repeat(1000)]));
  send(r, false, resp(200, 'R'.repeat(600), ['Content-Length: 0']));
  const l = only(r);
  assert.equal((l.user_agent as string).length, 512);
  assert.equal((l.host as string).length, 256);
  assert.equal((l.uri as string).length, 256);
  assert.equal((l.status_msg as string).length, 256);
  assert.equal(r.sink.counters.get('decoder.http.uri_truncated'), 1);
});

test('status line without reason phrase gives an empty status_msg', () => {
  const r = start();
  send(r, true, req('GET', '/', []));
  send(r, false, resp(200, '', ['Content-Length: 0']));
  assert.equal(only(r).status_msg, '');
});

// ---- caps ----

test('more than 100 headers: counter, later headers not kept, framing still honoured', () => {
  const r = start();
  const hs: string[] = [];
  for (let i = 0; i < 150; i++) hs.push('X-H' + i + ': v');
  hs.push('Host: late.example', 'Content-Length: 4');
  send(r, true, req('POST', '/p', hs, 'BODY') + req('GET', '/next', ['Host: ok']));
  send(r, false, resp(200, 'OK', ['Content-Length: 0']) + resp(200, 'OK', ['Content-Length: 0']));
  const logs = r.sink.of('http');
  assert.equal(logs.length, 2);
  assert.equal(logs[0].host, undefined, 'host past the cap is not interpreted');
  assert.equal(logs[0].request_body_len, 4, 'Content-Length past the cap still frames the body');
  assert.equal(logs[1].uri, '/next');
  assert.equal(logs[1].host, 'ok');
  assert.equal(r.sink.counters.get('decoder.http.headers_capped'), 1);
});

test('header block over 8 KiB is capped; over 64 KiB the flow is given up', () => {
  const r = start();
  const hs = ['Cookie: ' + 'c'.repeat(7000), 'X-Pad: ' + 'p'.repeat(2000), 'User-Agent: late'];
  send(r, true, req('GET', '/', hs));
  send(r, false, resp(200, 'OK', ['Content-Length: 0']));
  assert.equal(only(r).user_agent, undefined);
  assert.equal(r.sink.counters.get('decoder.http.header_block_capped'), 1);

  const r2 = start();
  const many: string[] = [];
  for (let i = 0; i < 20; i++) many.push('X-' + i + ': ' + 'v'.repeat(4000));
  send(r2, true, req('GET', '/huge', many));
  assert.ok(weirdNames(r2).includes('http_header_block_too_long'));
  assert.equal(r2.a.done, true);
  assert.equal(r2.sink.of('http').length, 1, 'pending request flushed when giving up');
});

test('a line longer than 8 KiB across segments is cut and counted, parsing continues', () => {
  const r = start();
  send(r, true, req('GET', '/', ['X-Long: ' + 'L'.repeat(20000), 'Host: after']), 1, 1400);
  send(r, false, resp(200, 'OK', ['Content-Length: 0']));
  assert.equal(r.sink.counters.get('decoder.http.line_truncated'), 1);
  assert.equal(r.sink.counters.get('decoder.http.header_block_capped'), 1);
  assert.equal(only(r).uri, '/');
});

test('more than 100 pending requests: excessive pipelining flushes them', () => {
  const r = start();
  let s = '';
  for (let i = 0; i < 101; i++) s += req('GET', '/' + i, []);
  send(r, true, s);
  assert.ok(weirdNames(r).includes('http_excessive_pipelining'));
  assert.equal(r.sink.counters.get('decoder.http.pending_capped'), 1);
  assert.equal(r.sink.of('http').length, 100);
  r.a.finish(2);
  assert.equal(r.sink.of('http').length, 101);
  assert.equal(r.sink.of('http')[100].trans_depth, 101);
});

// ---- anomalies ----

test('not HTTP: weird, not confirmed, done', () => {
  const r = start();
  send(r, true, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20, 0x0a]));
  assert.deepEqual(weirdNames(r), ['http_bad_request_line']);
  assert.equal(r.a.confirmed, false);
  assert.equal(r.a.done, true);
  assert.equal(r.sink.of('http').length, 0);
});

test('bad status line gives up and flushes the pending request', () => {
  const r = start();
  send(r, true, req('GET', '/', []));
  send(r, false, 'SSH-2.0-OpenSSH\r\n');
  assert.ok(weirdNames(r).includes('http_bad_status_line'));
  assert.equal(r.a.done, true);
  assert.equal(only(r).status_code, undefined);
});

test('reply without request: weird and an orphan record', () => {
  const r = start();
  send(r, false, resp(200, 'OK', ['Content-Length: 2'], 'hi'));
  assert.deepEqual(weirdNames(r), ['http_unmatched_reply']);
  const l = only(r);
  assert.equal(l.method, undefined);
  assert.equal(l.uri, undefined);
  assert.equal(l.status_code, 200);
  assert.equal(l.trans_depth, 1);
});

test('unknown method is kept and flagged', () => {
  const r = start();
  send(r, true, req('FROB', '/', []));
  send(r, false, resp(405, 'Method Not Allowed', ['Content-Length: 0']));
  assert.equal(only(r).method, 'FROB');
  assert.deepEqual(weirdNames(r), ['http_unknown_method']);
});

test('Transfer-Encoding with Content-Length is flagged (smuggling), chunked wins', () => {
  const r = start();
  send(r, true, req('POST', '/', ['Content-Length: 3', 'Transfer-Encoding: chunked'], '1\r\nA\r\n0\r\n\r\n'));
  send(r, false, resp(200, 'OK', ['Content-Length: 0']));
  assert.ok(weirdNames(r).includes('http_te_and_cl'));
  assert.equal(only(r).request_body_len, 1);
});

test('conflicting Content-Length values and bad values are weird', () => {
  const r = start();
  send(r, true, req('POST', '/', ['Content-Length: 3', 'Content-Length: 4'], 'abc') + req('POST', '/2', ['Content-Length: x1'], ''));
  assert.deepEqual(weirdNames(r), ['http_conflicting_content_length', 'http_bad_content_length']);
  r.a.finish(1);
  assert.deepEqual(r.sink.of('http').map((l) => l.request_body_len), [3, 0]);
});

test('bad chunk size: weird and give up; chunk size parser bounds', () => {
  const r = start();
  send(r, true, req('GET', '/', []));
  send(r, false, resp(200, 'OK', ['Transfer-Encoding: chunked'], 'zz\r\n'));
  assert.ok(weirdNames(r).includes('http_bad_chunk_size'));
  assert.equal(r.a.done, true);
  const b = (s: string): number => parseChunkSize(Buffer.from(s), 0, s.length);
  assert.equal(b('1f'), 31);
  assert.equal(b(' A ; name=val'), 10);
  assert.equal(b('fffffffffffff'), 0xfffffffffffff);
  assert.equal(b('10000000000000'), -1, 'over 13 hex digits');
  assert.equal(b(''), -1);
  assert.equal(b('5x'), -1);
});

test('missing CRLF after chunk data is tolerated with a weird', () => {
  const r = start();
  send(r, true, req('GET', '/', []));
  send(r, false, resp(200, 'OK', ['Transfer-Encoding: chunked'], '2\r\nab3\r\ncde\r\n0\r\n\r\n'));
  // "ab" then the line "3" arrives where CRLF was due: read as the next size.
  assert.ok(weirdNames(r).includes('http_bad_chunk_terminator'));
  assert.equal(only(r).response_body_len, 5);
});

test('gap inside a sized body keeps sync; gap in headers gives up', () => {
  const r = start();
  send(r, true, req('GET', '/1', []) + req('GET', '/2', []));
  send(r, false, resp(200, 'OK', ['Content-Length: 1000'], 'x'.repeat(100)));
  r.a.gap(false, 800);
  send(r, false, 'y'.repeat(100) + resp(200, 'OK', ['Content-Length: 1'], 'z'));
  const logs = r.sink.of('http');
  assert.equal(logs.length, 2);
  assert.equal(logs[0].response_body_len, 200, 'missing bytes are not counted as body');
  assert.equal(logs[1].response_body_len, 1);
  assert.equal(r.a.done, false);

  const r2 = start();
  send(r2, true, 'GET / HTTP/1.1\r\nHo');
  r2.a.gap(true, 50);
  assert.deepEqual(weirdNames(r2), ['http_content_gap']);
  assert.equal(r2.a.done, true);
  assert.equal(r2.sink.of('http').length, 1);
});

test('101 Switching Protocols and CONNECT 200 end HTTP parsing', () => {
  const r = start();
  send(r, true, req('GET', '/ws', ['Upgrade: websocket', 'Connection: Upgrade']));
  send(r, false, resp(101, 'Switching Protocols', ['Upgrade: websocket']) + '\x81\x05hello');
  const l = only(r);
  assert.equal(l.status_code, 101);
  assert.equal(l.info_code, 101);
  assert.equal(r.a.done, true);

  const r2 = start();
  send(r2, true, req('CONNECT', 'example.com:443', ['Host: example.com:443']));
  send(r2, false, resp(200, 'Connection established') + '\x16\x03\x01');
  assert.equal(only(r2).uri, 'example.com:443');
  assert.equal(r2.a.done, true);
  assert.deepEqual(r2.sink.weirds, []);
});

test('HTTP/0.9 request and bare reply', () => {
  const r = start();
  send(r, true, 'GET /index.html\r\n');
  send(r, false, '<html>hi</html>\n');
  r.a.finish(2);
  const l = only(r);
  assert.equal(l.uri, '/index.html');
  assert.equal(l.version, '0.9');
  assert.equal(l.response_body_len, 16);
  assert.equal(r.a.confirmed, false, 'a two-word line alone does not confirm HTTP');
});

test('empty lines between pipelined requests are skipped', () => {
  const r = start();
  send(r, true, req('GET', '/a', []) + '\r\n\r\n' + req('GET', '/b', []));
  send(r, false, resp(200, 'OK', ['Content-Length: 0']) + '\r\n' + resp(200, 'OK', ['Content-Length: 0']));
  assert.deepEqual(r.sink.of('http').map((l) => l.uri), ['/a', '/b']);
  assert.deepEqual(r.sink.weirds, []);
});

// ---- factory ----

test('factory: service, ports, sniffing', () => {
  const f = createHttpFactory();
  assert.equal(f.service, 'http');
  assert.equal(f.tcp, true);
  assert.equal(f.udp, false);
  assert.deepEqual([...f.ports].sort((a, b) => a - b), [...HTTP_PORTS].sort((a, b) => a - b));
  assert.ok(f.ports.includes(80) && f.ports.includes(7547) && f.ports.includes(3128));
  const sn = (s: string, isOrig = true): boolean => {
    const b = Buffer.from('xx' + s + 'yy');
    return f.sniff!(isOrig, b, 2, s.length);
  };
  for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'PATCH', 'TRACE', 'PROPFIND', 'SUBSCRIBE', 'NOTIFY']) {
    assert.equal(sn(m + ' / HTTP/1.1'), true, m);
  }
  assert.equal(sn('GET / HTTP/1.1', false), false, 'server side does not attach');
  assert.equal(sn('GETX / HTTP/1.1'), false);
  assert.equal(sn('get / HTTP/1.1'), false);
  assert.equal(sn('GET'), false, 'method without space');
  assert.equal(sn(''), false);
  assert.equal(sn('\x16\x03\x01\x02\x00'), false);
});

// ---- robustness ----

test('truncation at every length and bit flips never throw', () => {
  const q = Buffer.from(req('POST', '/a%41?b=1', ['Host: h:1', 'User-Agent: u', 'Authorization: Basic dTpw',
    'Transfer-Encoding: chunked', 'Content-Length: 9'], '4\r\nabcd\r\n0\r\n\r\n') + req('GET', '/2', []), 'latin1');
  const s = Buffer.from(resp(100, 'Continue') + resp(200, 'OK', ['Transfer-Encoding: chunked', 'Content-Type: a/b'],
    '2\r\nxy\r\n0\r\n\r\n') + resp(304, 'NM', ['Content-Length: 7']), 'latin1');
  for (let n = 0; n <= q.length; n++) {
    const r = start();
    r.a.deliver(true, q, 0, n, 1);
    r.a.deliver(false, s, 0, Math.min(n, s.length), 2);
    r.a.gap(false, 3);
    r.a.finish(3);
  }
  let seed = 12345;
  const rnd = (m: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  for (let k = 0; k < 3000; k++) {
    const a = Buffer.from(q);
    const b = Buffer.from(s);
    for (let f = 0; f < 1 + rnd(4); f++) {
      a[rnd(a.length)] ^= 1 << rnd(8);
      b[rnd(b.length)] ^= 1 << rnd(8);
    }
    const r = start();
    const step = 1 + rnd(40);
    for (let i = 0; i < a.length; i += step) r.a.deliver(true, a, i, Math.min(step, a.length - i), 1);
    for (let i = 0; i < b.length; i += step) r.a.deliver(false, b, i, Math.min(step, b.length - i), 2);
    r.a.finish(3);
    for (const l of r.sink.of('http')) assert.equal(typeof l.trans_depth, 'number');
  }
});

test('length past the end of the buffer is clamped, not read', () => {
  const r = start();
  const b = Buffer.from(req('GET', '/', []));
  r.a.deliver(true, b, 0, b.length + 100, 1);
  r.a.deliver(false, Buffer.alloc(0), 0, 10, 1);
  r.a.finish(2);
  assert.equal(only(r).uri, '/');
});
