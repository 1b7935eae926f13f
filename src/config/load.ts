/**
 * Reads the YAML config file (if any), applies command-line overrides and validates everything
 * against the schema once, at start: a bad config stops Vigil with one sentence naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULTS, RULES, type VigilConfig } from './schema.js';
import { VigilError } from '../util/errors.js';

/** Where a config file is looked for when `--config` is not given, first match wins. */
export const CONFIG_SEARCH = ['./vigil.yaml', '/etc/vigil/vigil.yaml'];

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Closest known key, for "did you mean" (edit distance ≤ 3). */
function suggest(key: string): string | null {
  let best: string | null = null;
  let bestD = 4;
  for (const k of Object.keys(RULES)) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function fail(where: string, msg: string): never {
  throw new VigilError('VIGIL_ERR_CONFIG', `${where}: ${msg}`);
}

/** Checks one leaf and writes it into `out` at the dotted path. */
function setLeaf(out: VigilConfig, path: string, value: unknown, where: string): void {
  const rule = RULES[path];
  if (!rule) {
    const s = suggest(path);
    fail(where, `unknown setting '${path}'${s ? ` (did you mean '${s}'?)` : ''}; see docs/CONFIG.md for the list.`);
  }
  let v: unknown = value;
  if (rule.kind === 'number') {
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, `'${path}' must be a number, not ${JSON.stringify(value)}.`);
    if (rule.integer && !Number.isInteger(v)) fail(where, `'${path}' must be a whole number, not ${v}.`);
    if (v < rule.min || v > rule.max) fail(where, `'${path}' must be between ${rule.min} and ${rule.max}, not ${v}.`);
  } else if (rule.kind === 'boolean') {
    if (v === 'true' || v === 'yes' || v === 'on') v = true;
    if (v === 'false' || v === 'no' || v === 'off') v = false;
    if (typeof v !== 'boolean') fail(where, `'${path}' must be true or false, not ${JSON.stringify(value)}.`);
  } else if (rule.kind === 'list') {
    if (typeof v === 'string') v = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      fail(where, `'${path}' must be a list of text values, e.g. [a, b].`);
    }
    const list = v as unknown[];
    if (list.length > rule.max) fail(where, `'${path}' holds ${list.length} entries; at most ${rule.max}.`);
    v = list.map(String);
  } else {
    if (typeof v === 'number') v = String(v);
    if (typeof v !== 'string') fail(where, `'${path}' must be text, not ${JSON.stringify(value)}.`);
    if (rule.choices && !rule.choices.includes(v)) {
      fail(where, `'${path}' must be one of ${rule.choices.join(', ')}, not '${v}'.`);
    }
  }
  const parts = path.split('.');
  let node = out as unknown as Tree;
  for (const p of parts.slice(0, -1)) node = node[p] as Tree;
  node[parts[parts.length - 1]] = v;
}

function applyTree(out: VigilConfig, tree: Tree, prefix: string, where: string): void {
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isTree(v)) {
      if (RULES[path]) fail(where, `'${path}' must be ${RULES[path].kind === 'list' ? 'a list such as [a, b]' : 'a single value'}, not a section.`);
      applyTree(out, v, path, where);
    } else {
      setLeaf(out, path, v, where);
    }
  }
}

export interface LoadedConfig {
  readonly config: VigilConfig;
  /** The file that was read, or null when only defaults (and overrides) apply. */
  readonly file: string | null;
}

/**
 * Loads `file` (or the first of CONFIG_SEARCH that exists, when `file` is undefined), then
 * applies `overrides` (dotted keys from the command line, e.g. `{ 'capture.interface': 'eth1' }`).
 */
export function loadConfig(file?: string, overrides: Record<string, unknown> = {}): LoadedConfig {
  const config = deepCopy(DEFAULTS);
  let used: string | null = null;
  const candidate = file ?? CONFIG_SEARCH.find((p) => existsSync(p));
  if (candidate !== undefined) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch (e) {
      throw new VigilError('VIGIL_ERR_CONFIG', `cannot read the config file ${candidate} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path given to --config.`);
    }
    let tree: unknown;
    try {
      tree = parseYaml(text);
    } catch (e) {
      fail(candidate, `not valid YAML (${(e as Error).message.split('\n')[0]}); fix the file or start from vigil.example.yaml.`);
    }
    if (tree !== null && tree !== undefined) {
      if (!isTree(tree)) fail(candidate, 'the file must hold settings as "key: value" lines.');
      applyTree(config, tree, '', candidate);
    }
    used = resolve(candidate);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) setLeaf(config, k, v, 'command line');
  }
  return { config, file: used };
}

/** The database path a config means. */
export function dbPath(c: VigilConfig): string {
  return c.db || join(c.dataDir, 'vigil.db');
}
