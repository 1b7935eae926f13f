/**
 * Turns SQLite failures into VigilErrors with one sentence saying what to do (rule 8). SQLite's
 * extended result codes arrive as `err.code` strings (`SQLITE_FULL`, `SQLITE_IOERR_WRITE` …).
 */
import { dirname } from 'node:path';
import { VigilError } from '../../util/errors.js';

export function sqliteCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

export function isCorruption(err: unknown): boolean {
  const c = sqliteCode(err);
  return c.startsWith('SQLITE_CORRUPT') || c === 'SQLITE_NOTADB';
}

/**
 * A failure caused by the rows themselves (a constraint, a value SQLite cannot bind), not by the
 * disk or another process: retrying cannot help, so the writer salvages row by row.
 */
export function isDataError(err: unknown): boolean {
  const c = sqliteCode(err);
  if (c === '') return err instanceof TypeError || err instanceof RangeError;
  return c.startsWith('SQLITE_CONSTRAINT') || c === 'SQLITE_MISMATCH' || c === 'SQLITE_TOOBIG' || c === 'SQLITE_RANGE';
}

function where(path: string): string {
  return path === ':memory:' ? 'the in-memory database' : path;
}

/** The error a failed commit (or retention run) reports; the writer keeps its queue and retries. */
export function writeError(err: unknown, path: string): VigilError {
  const c = sqliteCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (c === 'SQLITE_FULL') {
    return new VigilError('VIGIL_ERR_STORE_WRITE', `The disk holding ${where(dirname(path))} is full; free space or lower retention (${detail}).`);
  }
  if (c.startsWith('SQLITE_IOERR')) {
    return new VigilError('VIGIL_ERR_STORE_WRITE', `Writing ${where(path)} failed with an I/O error (${c}); check the disk (dmesg) and free space.`);
  }
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')) {
    return new VigilError('VIGIL_ERR_STORE_WRITE', `${where(path)} is locked by another process; stop the other Vigil writing to it.`);
  }
  if (c.startsWith('SQLITE_READONLY') || c.startsWith('SQLITE_PERM') || c.startsWith('SQLITE_CANTOPEN')) {
    return new VigilError('VIGIL_ERR_STORE_WRITE', `${where(path)} cannot be written (${c}); give the Vigil user write access to the file and its directory.`);
  }
  if (isCorruption(err)) {
    return new VigilError('VIGIL_ERR_STORE_CORRUPT', `${where(path)} is damaged (${detail}); restart Vigil to move it aside and start a new one.`);
  }
  return new VigilError('VIGIL_ERR_STORE_WRITE', `Writing ${where(path)} failed (${c || detail}); check the disk and restart Vigil if it persists.`);
}
