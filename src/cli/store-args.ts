/**
 * The options every command that reads the database shares (--config, --data-dir, --db, --json),
 * and opening the store they point at.
 */
import { existsSync } from 'node:fs';
import { loadConfig, dbPath } from '../config/load.js';
import { storeFor } from '../sensor/session.js';
import type { Store } from '../store/store.js';
import type { VigilConfig } from '../config/schema.js';
import { VigilError } from '../util/errors.js';

export const STORE_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const STORE_HELP = `  --config FILE        settings file (default: ./vigil.yaml or /etc/vigil/vigil.yaml if present)
  --data-dir DIR       data directory (default ./data)
  --db FILE            database file (default DATA-DIR/vigil.db)
  --json               JSON for scripts instead of a table`;

export interface StoreArgs {
  config?: string;
  'data-dir'?: string;
  db?: string;
}

/** Opens the database a command's options point at; a missing file is an error, not a new DB. */
export function openStoreFromArgs(v: StoreArgs): { store: Store; config: VigilConfig; path: string } {
  const { config } = loadConfig(v.config, { dataDir: v['data-dir'], db: v.db });
  const path = dbPath(config);
  if (!existsSync(path)) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `no database at ${path}: start the sensor first ('vigil run'), replay a capture ('vigil analyze FILE --db ${path}'), or point to one with --db.`);
  }
  // A reader never checks the whole file nor moves it aside: that is the sensor's call at its start.
  const { store } = storeFor(config, () => {}, { reader: true });
  return { store, config, path };
}
