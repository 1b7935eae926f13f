/**
 * Every detector Vigil ships, by name (the name is its file under `src/detect/` and what
 * `detect.disabled` lists). Adding a detector: write its file, add its factory here, add its
 * settings (if any) to `src/config/detect.ts`, docs/CONFIG.md, vigil.example.yaml and
 * docs/DETECTION.md, and give it golden and labelled-capture tests.
 */
import type { DetectConfig } from '../config/detect.js';
import { VigilError } from '../util/errors.js';
import type { DetectContext, Detector, DetectorFactory } from './detector.js';
import { arpSpoof } from './arp-spoof.js';
import { rogueDhcp } from './rogue-dhcp.js';
import { bruteforce } from './bruteforce.js';
import { cleartext } from './cleartext.js';
import { dnsTunnel } from './dns-tunnel.js';
import { beacon } from './beacon.js';
import { exfil } from './exfil.js';
import { icsWrite } from './ics-write.js';
import { tor } from './tor.js';
import { portscan } from './portscan.js';
import { propagation } from './propagation.js';
import { flood } from './flood.js';

export const DETECTORS: readonly DetectorFactory[] = [
  arpSpoof,
  rogueDhcp,
  bruteforce,
  cleartext,
  dnsTunnel,
  beacon,
  exfil,
  icsWrite,
  tor,
  portscan,
  propagation,
  flood,
];

/** The detectors the config turns on; an unknown name in `detect.disabled` is a config error. */
export function createDetectors(config: DetectConfig, ctx: DetectContext): Detector[] {
  const names = new Set(DETECTORS.map((f) => f.name));
  for (const n of config.disabled) {
    if (!names.has(n)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `detect.disabled: there is no detector '${n}'; the detectors are ${[...names].join(', ')}.`);
    }
  }
  if (!config.enabled) return [];
  const off = new Set(config.disabled);
  return DETECTORS.filter((f) => !off.has(f.name)).map((f) => f.create(config, ctx));
}
