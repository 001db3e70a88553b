/** A problem with the image the user gave: where (file, and offset when known) and what. */
export interface LoadError {
  location: string;
  message: string;
}

export function formatLoadError(error: LoadError): string {
  return `${error.location}: ${error.message}`;
}

/** Loaders return this: a value, never an exception, for anything a user's image can cause. */
export type LoadOutcome<T> = { ok: true; value: T } | { ok: false; error: LoadError };

export function loadFailure<T>(location: string, message: string): LoadOutcome<T> {
  return { ok: false, error: { location, message } };
}

export const hex = (n: number): string => `0x${n.toString(16)}`;
