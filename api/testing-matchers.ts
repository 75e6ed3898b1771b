/** What tests expect of the api's answers, in one place: shapes several test files check. */
import { expect } from 'vitest';

/** A freshly issued device ingest token with this name (the secret shown once); without its createdAt. */
export function anIssuedIngestToken(name: string) {
  return { id: expect.any(String), name, token: expect.stringMatching(/^ems_dev_/) };
}
