/**
 * The password policy of API.md: 8–200 characters and not the username
 * (compared without case). Failures are 400 with a `details` entry whose path
 * names the field (`password` or `newPassword`).
 */
import { MAX_PASSWORD, MIN_PASSWORD } from '../contract.ts';
import { ApiError } from '../errors.ts';

export { MAX_PASSWORD, MIN_PASSWORD };

/** The reason `password` is refused, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < MIN_PASSWORD) return `must be at least ${MIN_PASSWORD} characters`;
  if (password.length > MAX_PASSWORD) return `must be at most ${MAX_PASSWORD} characters`;
  if (password.toLowerCase() === username.toLowerCase()) return 'must not be the username';
  return null;
}

export function assertPasswordPolicy(password: string, username: string, path = 'password'): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new ApiError('invalid_request', `Password ${problem}`, [{ path, message: problem }]);
}
