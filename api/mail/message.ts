/**
 * The alert e-mail: a short plain-text body and the same in simple HTML, with
 * a link to the device page. Pure; every value that came from a user (device
 * name) is escaped in the HTML.
 */
import type { Alert } from '../contract.ts';

export interface MailMessage {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/** The e-mail for one alert; `publicUrl` is where the UI is reached (no trailing slash needed). */
export function alertMail(alert: Alert, publicUrl: string): MailMessage {
  const link = `${publicUrl.replace(/\/+$/, '')}/devices/${alert.deviceId}`;
  const what =
    (alert.kind as string) === 'silent'
      ? `has sent no reading since ${alert.hourStart}`
      : `used ${alert.kwh.toFixed(3)} kWh in the hour from ${alert.hourStart}, over its limit of ${alert.maxHourlyKwh} kWh`;
  const subject =
    (alert.kind as string) === 'silent'
      ? `${alert.deviceName} is silent`
      : `${alert.deviceName} exceeded its hourly limit`;
  const text = [
    `Your device "${alert.deviceName}" ${what}.`,
    '',
    `Open the device: ${link}`,
    '',
    'You get this because e-mail notifications are on in your EMS account (at most one e-mail per device and hour).',
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Your device <strong>${escapeHtml(alert.deviceName)}</strong> ${escapeHtml(what)}.</p>
<p><a href="${escapeHtml(link)}">Open the device</a></p>
<p style="color:#666;font-size:small">You get this because e-mail notifications are on in your EMS account (at most one e-mail per device and hour).</p>
</body></html>`;
  return { subject, text, html };
}
