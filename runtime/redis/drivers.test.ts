import { afterAll } from 'vitest';
import { registerDriverSuite } from '../drivers.suite.ts';
import { deleteKeys, randomPrefix, redisBackend, TEST_REDIS_URL } from '../testing/backends.ts';
import { redisDriverHarness } from '../testing/redis-harness.ts';

const FILE_PREFIX = randomPrefix();
let testNumber = 0;

afterAll(() => deleteKeys(`${FILE_PREFIX}:*`));

registerDriverSuite('redis', async () => {
  // A prefix per test: no test sees another's jobs or leases.
  const backend = redisBackend(`${FILE_PREFIX}:${++testNumber}`);
  return redisDriverHarness(backend, TEST_REDIS_URL);
});
