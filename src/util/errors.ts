/**
 * Coded errors (rule 8): every error a user can see has a stable code and a sentence that says
 * what to do. Codes are VIGIL_ERR_<AREA>_<WHAT>, as undici's UND_ERR_* and fastify's FST_ERR_*.
 */
export type ErrorCode =
  | 'VIGIL_ERR_CAPTURE_OPEN'
  | 'VIGIL_ERR_CAPTURE_FORMAT'
  | 'VIGIL_ERR_OUTPUT'
  | 'VIGIL_ERR_CONFIG'
  | 'VIGIL_ERR_USAGE'
  | 'VIGIL_ERR_CAPTURE_HELPER_MISSING'
  | 'VIGIL_ERR_CAPTURE_PERMISSION'
  | 'VIGIL_ERR_CAPTURE_INTERFACE'
  | 'VIGIL_ERR_STORE_OPEN'
  | 'VIGIL_ERR_STORE_WRITE'
  | 'VIGIL_ERR_STORE_CORRUPT'
  | 'VIGIL_ERR_ENRICH_DATA'
  | 'VIGIL_ERR_NOT_FOUND';

export class VigilError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'VigilError';
    this.code = code;
  }
}

export function isVigilError(e: unknown): e is VigilError {
  return e instanceof VigilError;
}
