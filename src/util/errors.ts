/**
 * Coded errors (rule 8): every error a user can see has a stable code and a sentence that says
 * what to do. Codes are VIGIL_ERR_<AREA>_<WHAT>, as undici's UND_ERR_* and fastify's FST_ERR_*.
 */
export type ErrorCode =
  | 'VIGIL_ERR_CAPTURE_OPEN'
  | 'VIGIL_ERR_CAPTURE_FORMAT'
  | 'VIGIL_ERR_OUTPUT'
  | 'VIGIL_ERR_CONFIG'
  | 'VIGIL_ERR_USAGE';

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
