import { expect } from 'vitest';

/** The spec's error answer, exactly: this status and the body `{ success: false, error, error_description }`. */
export function expectApiError(
  res: { statusCode: number; json(): unknown },
  status: number,
  error: string,
  description: string,
): void {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toEqual({ success: false, error, error_description: description });
}
