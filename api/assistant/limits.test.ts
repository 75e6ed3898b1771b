import { describe, expect, it } from 'vitest';
import { type Assistant, BUSY_TEXT, limitConcurrency } from './index.ts';

/** An assistant whose answers finish when the test says so. */
function controllable() {
  const open: Array<() => void> = [];
  let calls = 0;
  const inner: Assistant = {
    online: true,
    answer: () => {
      calls++;
      return new Promise((resolve) => open.push(() => resolve({ text: 'done', handedOver: false })));
    },
  };
  return { inner, open, calls: () => calls };
}

const req = (clientId: string) => ({ sql: {} as never, client: { id: clientId, name: 'C' }, history: [] });

describe('assistant concurrency caps', () => {
  it('one answer in flight per client and a global cap; over either, the busy hand-over without a model call', async () => {
    const { inner, open, calls } = controllable();
    const limited = limitConcurrency(inner, 2);
    const a1 = limited.answer(req('a'));
    expect(await limited.answer(req('a'))).toEqual({ text: BUSY_TEXT, handedOver: true });
    const b1 = limited.answer(req('b'));
    expect(await limited.answer(req('c'))).toEqual({ text: BUSY_TEXT, handedOver: true });
    expect(calls()).toBe(2);
    for (const finish of open.splice(0)) finish();
    expect(await a1).toEqual({ text: 'done', handedOver: false });
    await b1;
    const again = limited.answer(req('a'));
    for (const finish of open.splice(0)) finish();
    expect((await again).text).toBe('done');
    expect(calls()).toBe(3);
  });
});
