/**
 * STIX 2.1 indicators (a bundle, a TAXII envelope `{objects: […]}`, a bare array or one object):
 * the pattern subset of formats.md §2.7 that names concrete values:
 *
 *   [ipv4-addr:value = '198.51.100.1/32'] OR [domain-name:value = 'evil.example']
 *   [url:value IN ('http://a.example/x', 'http://b.example/y')]
 *   [network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443]
 *   [file:hashes.'SHA-256' = '…']  [ipv4-addr:value ISSUBSET '203.0.113.0/24']
 *
 * A pattern is read into OR-ed branches (observations joined by OR, comparisons by OR/AND inside
 * brackets, `IN` lists expanded). A branch gives one indicator when it is a single equality on a
 * supported path, optionally AND-ed with `network-traffic:dst_port = N`. Everything else (other
 * operators, NOT, AND between observations, FOLLOWEDBY, WITHIN/REPEATS/START-STOP qualifiers,
 * unknown paths such as `email-addr:value`) is skipped as `unsupported`, branch by branch: a
 * partial understanding never turns into a broader match than the pattern says.
 *
 * Also: `revoked` → skipped as `removed`; `pattern_type` other than `stix` → `unsupported`;
 * `valid_until` earlier than `ParseOptions.now` → `expired`; `indicator_types` containing
 * `benign` → values returned in `allow`. `name` (else `description`) is the description, the
 * first `external_references[].url` the reference.
 */
import type { Emitter } from './emit.js';
import { canonicalAny } from './emit.js';
import { jsonDocument, type FeedInput } from './lines.js';

const MAX_PATTERN = 65536;
const MAX_DEPTH = 64;
const MAX_BRANCHES = 10000;

export function parseStix(input: FeedInput, e: Emitter): void {
  const doc = jsonDocument(input, (why) => e.bad(why));
  if (doc === undefined) return;
  let objects: unknown[];
  if (Array.isArray(doc)) objects = doc;
  else if (isObj(doc) && Array.isArray(doc.objects)) objects = doc.objects;
  else if (isObj(doc) && doc.type === 'indicator') objects = [doc];
  else { e.bad('no STIX objects'); return; }
  for (const o of objects) {
    if (!isObj(o) || o.type !== 'indicator') continue;
    indicator(o, e);
  }
  e.resetMeta();
}

function indicator(o: Record<string, unknown>, e: Emitter): void {
  const pattern = o.pattern;
  if (typeof pattern !== 'string') { e.bad('indicator without pattern: ' + String(o.id)); return; }
  if (o.revoked === true) { e.skip('removed'); return; }
  if (o.pattern_type !== undefined && o.pattern_type !== 'stix') { e.skip('unsupported'); return; }
  if (e.options.now !== undefined && typeof o.valid_until === 'string') {
    const until = Date.parse(o.valid_until);
    if (Number.isFinite(until) && until / 1000 < e.options.now) { e.skip('expired'); return; }
  }
  let branches: Atom[][] | null;
  try {
    branches = new PatternReader(pattern).read();
  } catch (err) {
    e.bad(pattern);
    return;
  }
  if (branches === null) { e.skip('unsupported'); return; }
  e.resetMeta();
  const name = typeof o.name === 'string' && o.name.trim() !== '' ? o.name : typeof o.description === 'string' ? o.description : '';
  if (name !== '') e.meta.description = name.length > 200 ? name.slice(0, 200) + '…' : name;
  if (Array.isArray(o.external_references)) {
    for (const r of o.external_references) {
      if (isObj(r) && typeof r.url === 'string' && /^https?:\/\//.test(r.url)) { e.meta.reference = r.url; break; }
    }
  }
  const benign = Array.isArray(o.indicator_types) && o.indicator_types.includes('benign');
  for (const b of branches) branch(b, e, benign, pattern);
}

/** One comparison: `path op value` where op is `=` or `ISSUBSET` (an `IN` list is expanded). */
interface Atom {
  path: string;
  op: string;
  value: string;
}

function branch(atoms: Atom[], e: Emitter, benign: boolean, pattern: string): void {
  let target: Atom | null = null;
  let port = 0;
  for (const a of atoms) {
    if (a.path === 'network-traffic:dst_port' && a.op === '=' && /^[0-9]{1,5}$/.test(a.value) && +a.value <= 65535 && port === 0) {
      port = +a.value;
      continue;
    }
    if (target !== null || kindOf(a) === null) { e.skip('unsupported'); return; }
    target = a;
  }
  if (target === null) { e.skip('unsupported'); return; }
  const kind = kindOf(target) as Kind;
  const v = target.value;
  if (benign) {
    const c = canonicalAny(v);
    if (c === null) e.bad(pattern);
    else e.allowValue(c);
    return;
  }
  let ok: boolean;
  switch (kind) {
    case 'net': ok = e.net(v.trim(), port); break;
    case 'ref': ok = e.net(v.trim(), port) || (port === 0 && e.domain(v)); break;
    case 'domain': ok = e.domain(v); break;
    case 'url': ok = e.url(v); break;
    case 'hash': ok = e.hash(v); break;
    case 'ja3': ok = e.ja3(v); break;
    default: ok = e.ja4(v); break;
  }
  if (!ok) e.bad(pattern);
}

type Kind = 'net' | 'ref' | 'domain' | 'url' | 'hash' | 'ja3' | 'ja4';

function kindOf(a: Atom): Kind | null {
  const p = a.path.toLowerCase();
  if (a.op === 'ISSUBSET') return p === 'ipv4-addr:value' || p === 'ipv6-addr:value' ? 'net' : null;
  if (a.op !== '=') return null;
  if (p === 'ipv4-addr:value' || p === 'ipv6-addr:value') return 'net';
  if (p === 'network-traffic:dst_ref.value' || p === 'network-traffic:src_ref.value') return 'ref';
  if (p === 'domain-name:value') return 'domain';
  if (p === 'url:value') return 'url';
  if (/^(file|artifact|x509-certificate):hashes\./.test(p)) return 'hash';
  if (p.includes('ja3')) return 'ja3';
  if (p.includes('ja4')) return 'ja4';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Pattern reader: tokens, then recursive descent into OR-ed branches of AND-ed atoms (DNF).
// `null` = syntactically fine but outside the subset; throws on a syntax error.

type Tok = { t: 'str' | 'word' | 'num' | 'sym'; v: string };

class PatternReader {
  private toks: Tok[] = [];
  private i = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  read(): Atom[][] | null {
    if (this.src.length > MAX_PATTERN) throw new Error('pattern too long');
    this.toks = tokenize(this.src);
    const r = this.obsExpr();
    if (this.i < this.toks.length) {
      // Qualifiers (WITHIN, REPEATS, START … STOP) after the observations: temporal, unsupported.
      const w = this.toks[this.i];
      if (w.t === 'word' && ['WITHIN', 'REPEATS', 'START'].includes(w.v)) return null;
      throw new Error('unexpected ' + w.v);
    }
    return r;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private take(v: string): boolean {
    const t = this.toks[this.i];
    if (t !== undefined && (t.t === 'sym' || t.t === 'word') && t.v === v) { this.i++; return true; }
    return false;
  }

  private expect(v: string): void {
    if (!this.take(v)) throw new Error('expected ' + v);
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new Error('pattern nested too deep');
  }

  /** obs (OR obs)* ; AND / FOLLOWEDBY between observations → unsupported. */
  private obsExpr(): Atom[][] | null {
    this.enter();
    let acc = this.obsTerm();
    for (;;) {
      if (this.take('OR')) {
        const r = this.obsTerm();
        acc = acc === null || r === null ? null : cap(acc.concat(r));
      } else if (this.take('AND') || this.take('FOLLOWEDBY')) {
        this.obsTerm();
        acc = null;
      } else break;
    }
    this.depth--;
    return acc;
  }

  private obsTerm(): Atom[][] | null {
    if (this.take('(')) {
      const r = this.obsExpr();
      this.expect(')');
      return this.qualifiers() ? null : r;
    }
    this.expect('[');
    const r = this.compOr();
    this.expect(']');
    return this.qualifiers() ? null : r;
  }

  /** Qualifiers attached to an observation: skip them syntactically, report them. */
  private qualifiers(): boolean {
    let any = false;
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.t !== 'word') return any;
      if (t.v === 'WITHIN') { this.i++; this.i++; this.expect('SECONDS'); any = true; continue; }
      if (t.v === 'REPEATS') { this.i++; this.i++; this.expect('TIMES'); any = true; continue; }
      if (t.v === 'START') { this.i++; this.i++; this.expect('STOP'); this.i++; any = true; continue; }
      return any;
    }
  }

  private compOr(): Atom[][] | null {
    this.enter();
    let acc = this.compAnd();
    while (this.take('OR')) {
      const r = this.compAnd();
      acc = acc === null || r === null ? null : cap(acc.concat(r));
    }
    this.depth--;
    return acc;
  }

  private compAnd(): Atom[][] | null {
    let acc = this.compTerm();
    while (this.take('AND')) {
      const r = this.compTerm();
      if (acc === null || r === null) { acc = null; continue; }
      const out: Atom[][] = [];
      for (const a of acc) for (const b of r) out.push(a.concat(b));
      acc = cap(out);
    }
    return acc;
  }

  private compTerm(): Atom[][] | null {
    if (this.take('(')) {
      const r = this.compOr();
      this.expect(')');
      return r;
    }
    const path = this.toks[this.i++];
    if (path === undefined || path.t !== 'word' || path.v.indexOf(':') < 0) throw new Error('expected an object path');
    const negated = this.take('NOT');
    const opTok = this.toks[this.i++];
    if (opTok === undefined) throw new Error('expected an operator');
    const op = opTok.v;
    if (op === 'IN') {
      this.expect('(');
      const vals: string[] = [];
      for (;;) {
        const v = this.toks[this.i++];
        if (v === undefined || (v.t !== 'str' && v.t !== 'num')) throw new Error('expected a value');
        vals.push(v.v);
        if (this.take(')')) break;
        this.expect(',');
      }
      return negated ? null : vals.map((v) => [{ path: path.v, op: '=', value: v }]);
    }
    const val = this.toks[this.i++];
    if (val === undefined || (val.t !== 'str' && val.t !== 'num' && val.t !== 'word')) throw new Error('expected a value');
    if (negated || (op !== '=' && op !== 'ISSUBSET')) return [[{ path: path.v, op: 'unsupported', value: val.v }]];
    if (val.t === 'word') return [[{ path: path.v, op: 'unsupported', value: val.v }]]; // h'..', b64'..', t'..'
    return [[{ path: path.v, op, value: val.v }]];
  }
}

function cap(b: Atom[][]): Atom[][] {
  if (b.length > MAX_BRANCHES) throw new Error('pattern expands to too many branches');
  return b;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'FOLLOWEDBY',
  'WITHIN', 'SECONDS', 'REPEATS', 'TIMES', 'START', 'STOP', 'EXISTS']);

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === "'") {
      const [v, j] = quoted(s, i);
      out.push({ t: 'str', v });
      i = j;
      continue;
    }
    if ('[]()'.includes(c) || c === ',') { out.push({ t: 'sym', v: c }); i++; continue; }
    if (c === '=' ) { out.push({ t: 'sym', v: '=' }); i++; continue; }
    if (c === '!' || c === '<' || c === '>') {
      const two = s.slice(i, i + 2);
      const v = two === '!=' || two === '<=' || two === '>=' ? two : c;
      if (v === '!') throw new Error('bad operator');
      out.push({ t: 'sym', v });
      i += v.length;
      continue;
    }
    if ((c >= '0' && c <= '9') || c === '-') {
      let j = i + 1;
      while (j < n && /[0-9.eE+-]/.test(s[j])) j++;
      out.push({ t: 'num', v: s.slice(i, j) });
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      // An object path may hold quoted keys: file:hashes.'SHA-256'; h'…' / t'…' / b64'…' literals.
      let j = i;
      let v = '';
      while (j < n) {
        const d = s[j];
        if (/[A-Za-z0-9_:.\-*]/.test(d)) { v += d; j++; continue; }
        if (d === "'" && (v.endsWith('.') || v === 'h' || v === 't' || v === 'b64')) {
          const [q, k] = quoted(s, j);
          v += "'" + q + "'";
          j = k;
          continue;
        }
        break;
      }
      out.push({ t: 'word', v: KEYWORDS.has(v.toUpperCase()) ? v.toUpperCase() : v });
      i = j;
      continue;
    }
    throw new Error('unexpected character ' + c);
  }
  return out;
}

/** A single-quoted STIX string at s[i] (with `\'` and `\\` escapes) → [value, index after]. */
function quoted(s: string, i: number): [string, number] {
  let v = '';
  let j = i + 1;
  for (;;) {
    if (j >= s.length) throw new Error('unterminated string');
    const d = s[j];
    if (d === '\\') {
      const nx = s[j + 1];
      if (nx !== "'" && nx !== '\\') throw new Error('bad escape');
      v += nx;
      j += 2;
      continue;
    }
    if (d === "'") return [v, j + 1];
    v += d;
    j++;
  }
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
