/** The alert e-mail text: what happened, the device link, the name escaped in HTML. */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../contract.ts';
import { alertMail } from './message.ts';

const alert: Alert = {
  id: '00000000-0000-4000-8000-000000000001',
  deviceId: '00000000-0000-4000-8000-000000000002',
  deviceName: 'Oven & <Grill>',
  ownerId: null,
  kind: 'exceeded',
  hourStart: '2026-03-01T10:00:00+01:00',
  kwh: 2.5,
  maxHourlyKwh: 2,
  late: false,
  createdAt: '2026-03-01T10:40:00+01:00',
  acknowledgedAt: null,
};

describe('alertMail', () => {
  it('says what was exceeded and links the device page', () => {
    const m = alertMail(alert, 'https://ems.example/');
    expect(m.subject).toBe('Oven & <Grill> exceeded its hourly limit');
    expect(m.text).toContain(
      'used 2.500 kWh in the hour from 2026-03-01T10:00:00+01:00, over its limit of 2 kWh',
    );
    expect(m.text).toContain(`https://ems.example/devices/${alert.deviceId}`);
    expect(m.html).toContain('Oven &amp; &lt;Grill&gt;');
    expect(m.html).not.toContain('<Grill>');
    expect(m.html).toContain(`href="https://ems.example/devices/${alert.deviceId}"`);
  });

  it('words a silent alert as silence', () => {
    const m = alertMail({ ...alert, kind: 'silent' as Alert['kind'] }, 'http://localhost:8080');
    expect(m.subject).toBe('Oven & <Grill> is silent');
    expect(m.text).toContain('has sent no reading since');
  });
});
