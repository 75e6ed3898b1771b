/** The notification variables of the configuration (API.md table): defaults, checks, no URL echoed. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('notification configuration', () => {
  it('is off by default: no e-mail, private webhook targets refused', () => {
    const c = loadConfig({});
    expect(c.EMS_SMTP_URL).toBeUndefined();
    expect(c.EMS_WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(c.EMS_MAIL_FROM).toBe('EMS <ems@localhost>');
  });

  it('takes an SMTP URL, a sender, a public URL and allows private targets when asked', () => {
    const c = loadConfig({
      EMS_SMTP_URL: 'smtp://u:pw@mail:587',
      EMS_MAIL_FROM: 'Alerts <alerts@example.com>',
      EMS_PUBLIC_URL: 'https://ems.example.com',
      EMS_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect(c).toMatchObject({
      EMS_MAIL_FROM: 'Alerts <alerts@example.com>',
      EMS_WEBHOOK_ALLOW_PRIVATE: true,
    });
  });

  it('refuses a non-SMTP URL without echoing it, and a non-boolean flag', () => {
    let message = '';
    try {
      loadConfig({ EMS_SMTP_URL: 'http://u:pw@mail' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Configuration error: EMS_SMTP_URL must be an smtp:\/\//);
    expect(message).not.toContain('pw@');
    expect(() => loadConfig({ EMS_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/EMS_WEBHOOK_ALLOW_PRIVATE/);
  });
});
