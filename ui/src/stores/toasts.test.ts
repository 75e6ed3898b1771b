import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useToasts } from './toasts.ts';

beforeEach(() => {
  setActivePinia(createPinia());
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

const more = (n: number) => ({ kind: 'warning' as const, title: `+${n} more` });

describe('toasts store, grouped toasts', () => {
  it('shows at most `max` of a group at once and counts the rest in one summary toast', () => {
    const toasts = useToasts();
    for (let i = 1; i <= 7; i++) toasts.pushGrouped('g', { kind: 'danger', title: `t${i}` }, more, 3);
    expect(toasts.items.map((t) => t.title)).toEqual(['t1', 't2', 't3', '+4 more']);
  });

  it('keeps counting into the summary while it is shown, and starts afresh once it is dismissed', () => {
    const toasts = useToasts();
    for (let i = 1; i <= 3; i++) toasts.pushGrouped('g', { kind: 'danger', title: `t${i}` }, more, 2);
    const summary = toasts.items.find((t) => t.title === '+1 more')!;
    toasts.dismiss(toasts.items[0]!.id); // a slot frees up, but the summary is still counting
    toasts.pushGrouped('g', { kind: 'danger', title: 't4' }, more, 2);
    expect(toasts.items.map((t) => t.title)).toEqual(['t2', '+2 more']);
    expect(toasts.items[1]?.id).toBe(summary.id); // updated in place, not a second summary
    toasts.dismiss(summary.id);
    toasts.pushGrouped('g', { kind: 'danger', title: 't5' }, more, 2);
    expect(toasts.items.map((t) => t.title)).toEqual(['t2', 't5']);
  });

  it('keeps the summary up while it grows, then lets it expire', () => {
    const toasts = useToasts();
    toasts.pushGrouped('g', { kind: 'info', title: 't1' }, more, 1);
    toasts.pushGrouped('g', { kind: 'info', title: 't2' }, more, 1); // summary, warning: 9 s
    vi.advanceTimersByTime(8000);
    toasts.pushGrouped('g', { kind: 'info', title: 't3' }, more, 1);
    vi.advanceTimersByTime(8000);
    expect(toasts.items.map((t) => t.title)).toEqual(['+2 more']);
    vi.advanceTimersByTime(2000);
    expect(toasts.items).toEqual([]);
  });

  it('does not count other toasts against a group', () => {
    const toasts = useToasts();
    toasts.push({ kind: 'success', title: 'Saved' });
    toasts.pushGrouped('g', { kind: 'danger', title: 't1' }, more, 1);
    expect(toasts.items.map((t) => t.title)).toEqual(['Saved', 't1']);
  });
});
