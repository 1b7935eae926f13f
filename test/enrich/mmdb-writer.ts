/**
 * A minimal MaxMind DB (format 2.0) writer for tests: lets us build, with real bytes read by the
 * real `maxmind` reader, the record shapes users bring (GeoLite2-Country `{ country: { iso_code } }`,
 * GeoLite2-ASN `{ autonomous_system_number, … }`) without shipping MaxMind's licensed files.
 * Spec: https://maxmind.github.io/MaxMind-DB/ — IPv6 tree, 24-bit records, IPv4 under ::/96.
 */
import { parseIp } from '../../src/enrich/ip.js';

export type MmdbValue = string | number | boolean | MmdbValue[] | { [k: string]: MmdbValue };

/** Control byte (+ extended type byte) and size bytes for a value of `type` and `size`. */
function header(type: number, size: number): number[] {
  const out: number[] = [];
  let sizeBits: number;
  const ext: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    ext.push(size - 29);
  } else if (size < 65821) {
    sizeBits = 30;
    const v = size - 285;
    ext.push(v >> 8, v & 255);
  } else {
    sizeBits = 31;
    const v = size - 65821;
    ext.push((v >> 16) & 255, (v >> 8) & 255, v & 255);
  }
  if (type <= 7) out.push((type << 5) | sizeBits);
  else out.push(sizeBits, type - 7);
  return out.concat(ext);
}

function uintBytes(v: number): number[] {
  const b: number[] = [];
  let x = v;
  while (x > 0) {
    b.unshift(x % 256);
    x = Math.floor(x / 256);
  }
  return b;
}

export function encode(v: MmdbValue, typeHint?: 'uint16' | 'uint32' | 'uint64'): number[] {
  if (typeof v === 'string') {
    const bytes = [...Buffer.from(v, 'utf8')];
    return header(2, bytes.length).concat(bytes);
  }
  if (typeof v === 'boolean') return header(14, v ? 1 : 0);
  if (typeof v === 'number') {
    const b = uintBytes(v);
    const t = typeHint === 'uint16' ? 5 : typeHint === 'uint64' ? 9 : 6;
    return header(t, b.length).concat(b);
  }
  if (Array.isArray(v)) {
    let out = header(11, v.length);
    for (const x of v) out = out.concat(encode(x));
    return out;
  }
  const keys = Object.keys(v);
  let out = header(7, keys.length);
  for (const k of keys) out = out.concat(encode(k), encode(v[k]));
  return out;
}

interface Node {
  kids: [Node | number | null, Node | number | null];
}

/** Networks as `addr/len` (IPv4 or IPv6) → record. */
export function buildMmdb(networks: ReadonlyArray<readonly [string, MmdbValue]>, databaseType: string): Buffer {
  let data: number[] = [];
  const root: Node = { kids: [null, null] };
  const w = new Uint32Array(4);
  for (const [cidr, rec] of networks) {
    const [addr, lenText] = cidr.split('/');
    const fam = parseIp(addr, w);
    if (fam === 0) throw new Error(`bad network ${cidr}`);
    let bits: number[] = [];
    if (fam === 4) {
      bits = new Array<number>(96).fill(0);
      for (let i = 31; i >= 0; i--) bits.push((w[0] >>> i) & 1);
    } else {
      for (let k = 0; k < 4; k++) for (let i = 31; i >= 0; i--) bits.push((w[k] >>> i) & 1);
    }
    const len = Number(lenText) + (fam === 4 ? 96 : 0);
    const off = data.length;
    data = data.concat(encode(rec));
    let n = root;
    for (let d = 0; d < len - 1; d++) {
      const b = bits[d];
      let k = n.kids[b];
      if (k === null || typeof k === 'number') {
        // A shorter network already ended here: its data covers both halves below.
        k = { kids: [k, k] };
        n.kids[b] = k;
      }
      n = k;
    }
    n.kids[bits[len - 1]] = off;
  }
  // Number the nodes breadth-first (root = 0).
  const order: Node[] = [root];
  for (let i = 0; i < order.length; i++) for (const k of order[i].kids) if (k !== null && typeof k !== 'number') order.push(k);
  const index = new Map<Node, number>();
  order.forEach((n, i) => index.set(n, i));
  const count = order.length;
  const tree = Buffer.alloc(count * 6);
  order.forEach((n, i) => {
    n.kids.forEach((k, side) => {
      const v = k === null ? count : typeof k === 'number' ? count + 16 + k : (index.get(k) as number);
      tree.writeUIntBE(v, i * 6 + side * 3, 3);
    });
  });
  const meta = encode({
    node_count: count,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1700000000,
    description: { en: 'Vigil test data' },
  });
  // record_size / ip_version / format versions are uint16 in the spec; the reader accepts uint32.
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    Buffer.from(data),
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com', 'latin1'),
    Buffer.from(meta),
  ]);
}
