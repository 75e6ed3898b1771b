import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { anAlert } from '../test-data.ts';
import { apiError, fakeFetch } from '../test-fetch.ts';
import { isToastWorthy, useAlerts } from './alerts.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

describe('alerts store', () => {
  it('counts open alerts and drops one from the count when acknowledged', async () => {
    const a = anAlert({ createdAt: '2026-07-01T10:00:00Z' });
    const b = anAlert({ createdAt: '2026-07-01T11:00:00Z' });
    const fake = fakeFetch({
      'GET /api/alerts': () => ({ body: { items: [a, b], total: 2 } }),
      'POST /api/alerts/:id/ack': () => ({ body: { ...a, acknowledgedAt: '2026-07-01T12:00:00Z' } }),
    });
    const alerts = useAlerts();
    await alerts.fetchOpen();
    expect(fake.calls[0]?.query.get('status')).toBe('open');
    expect(alerts.openCount).toBe(2);
    expect(alerts.open[0]?.id).toBe(b.id); // newest first
    await alerts.acknowledge(a.id);
    expect(fake.last(`POST /api/alerts/${a.id}/ack`)).toBeDefined();
    expect(alerts.openCount).toBe(1);
    expect(alerts.acking[a.id]).toBeUndefined();
  });

  it('says a pushed alert is new only the first time (one toast per alert)', () => {
    const alerts = useAlerts();
    const a = anAlert();
    expect(alerts.receive(a)).toBe(true);
    expect(alerts.receive({ ...a })).toBe(false);
    expect(alerts.openCount).toBe(1);
    expect(alerts.openFor(a.deviceId)).toHaveLength(1);
  });

  it('replaces open alerts with the server list after a reconnect', async () => {
    const gone = anAlert();
    const missed = anAlert();
    fakeFetch({ 'GET /api/alerts': () => ({ body: { items: [missed], total: 1 } }) });
    const alerts = useAlerts();
    alerts.receive(gone);
    await alerts.fetchOpen();
    expect(alerts.open.map((a) => a.id)).toEqual([missed.id]);
  });

  it('keeps the alert open and reports when acknowledging fails', async () => {
    const a = anAlert();
    fakeFetch({ 'POST /api/alerts/:id/ack': () => apiError(404, 'not_found', 'Alert not found') });
    const alerts = useAlerts();
    alerts.receive(a);
    await expect(alerts.acknowledge(a.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(alerts.openCount).toBe(1);
  });
});

describe('which pushed alerts are worth a toast', () => {
  const now = Date.parse('2026-07-01T12:30:00Z');

  it('every alert that is not late', () => {
    expect(isToastWorthy(anAlert({ late: false, hourStart: '2025-01-01T00:00:00Z' }), now)).toBe(true);
  });

  it('a late alert only when its hour ended within the last hour', () => {
    // The hour 11:00–12:00 ended 30 minutes ago; 10:00–11:00 ended 90 minutes ago.
    expect(isToastWorthy(anAlert({ late: true, hourStart: '2026-07-01T11:00:00Z' }), now)).toBe(true);
    expect(isToastWorthy(anAlert({ late: true, hourStart: '2026-07-01T10:00:00Z' }), now)).toBe(false);
    expect(isToastWorthy(anAlert({ late: true, hourStart: '2025-07-01T10:00:00Z' }), now)).toBe(false);
  });
});
