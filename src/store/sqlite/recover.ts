/**
 * Opening a database file safely: recognise a file that is not (or no longer) a sound SQLite
 * database, and move it aside with its -wal/-shm so a new one can start (the sensor keeps
 * capturing; the caller raises an alert). The damaged file is kept for forensics, never deleted.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/** Thrown inside the open sequence when the file must be moved aside. */
export class DamagedDatabase extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DamagedDatabase';
  }
}

const MAGIC = 'SQLite format 3\u0000';
/** The database header is 100 bytes; a non-empty file shorter than that cannot be one. */
const HEADER_BYTES = 100;

/** Throws DamagedDatabase when a non-empty file does not start with SQLite's header. */
export function checkHeader(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // Does not exist yet: SQLite creates it.
  }
  if (size === 0) return; // SQLite treats an empty file as an empty database.
  if (size < HEADER_BYTES) throw new DamagedDatabase(`the file is ${size} bytes, shorter than a SQLite header`);
  const buf = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString('latin1') !== MAGIC) throw new DamagedDatabase('the file is not a SQLite database');
}

/** `20260121T103912Z`: UTC, sortable, no characters a file system or shell minds. */
export function utcStamp(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Renames `path` to `<path>.corrupt-<UTC timestamp>` (plus `-1`, `-2` … if taken) and its
 * `-wal`/`-shm` beside it under the same name, so `sqlite3 <moved>` still sees its WAL. The WAL
 * must go: left in place it would be replayed into the new database. Returns the new path.
 */
export function moveAside(path: string, now: Date = new Date()): string {
  const base = `${path}.corrupt-${utcStamp(now)}`;
  let target = base;
  for (let i = 1; existsSync(target) || existsSync(target + '-wal'); i++) target = `${base}-${i}`;
  renameSync(path, target);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
