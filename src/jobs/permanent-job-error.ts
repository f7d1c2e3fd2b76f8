/**
 * Thrown by a task to fail its job now instead of retrying, when retrying cannot help (the
 * credential was revoked, the file is not a machine file). The job stays visible as failed with
 * this message, like any job that used up its attempts.
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** True for a `PermanentJobError`, however the task wrapped it. */
export function isPermanentJobError(error: unknown): error is PermanentJobError {
  return error instanceof PermanentJobError;
}
