/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
 * with their share of all samples and their inclusive (self + callees) share.
 *
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N] [--json]
 *
 * Typical use:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/src/cli/main.js analyze /tmp/vigil-bench/bench-small.pcap --no-logs
 *   node dist/bench/profile-summary.js /tmp/prof/*.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  where: string;
  selfMs: number;
  selfPct: number;
  totalPct: number;
}

function frameName(cf: CallFrame): { fn: string; where: string } {
  const fn = cf.functionName || (cf.url ? '(anonymous)' : '');
  let where = cf.url;
  if (where.startsWith('file://')) {
    const path = new URL(where).pathname;
    const i = path.lastIndexOf('/dist/');
    where = i >= 0 ? path.slice(i + 1) : relative(process.cwd(), path) || path;
  }
  if (where) where += `:${cf.lineNumber + 1}`;
  return { fn: fn || '(native)', where };
}

export function summarizeProfile(file: string, top = 15): { totalMs: number; entries: ProfileEntry[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => {
    const { fn, where } = frameName(n.callFrame);
    return `${fn}\t${where}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // The delta before sample i+1 is the time spent in sample i (V8's convention, as DevTools reads it).
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    if (dt <= 0) continue;
    all += dt;
    const leaf = byId.get(p.samples[i]);
    if (!leaf) continue;
    const k = key(leaf);
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (!n) break;
      const kk = key(n);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const entries = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => {
      const [fn, where] = k.split('\t');
      return { function: fn, where, selfMs: us / 1000, selfPct: (100 * us) / all, totalPct: (100 * (total.get(k) ?? 0)) / all };
    });
  return { totalMs: all / 1000, entries };
}

export function formatProfile(s: { totalMs: number; entries: ProfileEntry[] }): string {
  const lines = [`profile: ${(s.totalMs / 1000).toFixed(2)} s sampled`, '  self %  total %   self ms  function  (where)'];
  for (const e of s.entries) {
    lines.push(`${e.selfPct.toFixed(1).padStart(8)} ${e.totalPct.toFixed(1).padStart(8)} ${e.selfMs.toFixed(0).padStart(9)}  ${e.function}  ${e.where ? `(${e.where})` : ''}`);
  }
  return lines.join('\n') + '\n';
}

function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N] [--json]\n');
    return 2;
  }
  const ti = argv.indexOf('--top');
  const top = ti >= 0 ? Number(argv[ti + 1]) || 15 : 15;
  const s = summarizeProfile(file, top);
  process.stdout.write(argv.includes('--json') ? JSON.stringify(s, null, 2) + '\n' : formatProfile(s));
  return 0;
}

if (process.argv[1] && /profile-summary\.js$/.test(process.argv[1])) process.exitCode = main(process.argv.slice(2));
