/**
 * How each alert kind reads in the UI (bell, toasts, alert feed, device page),
 * in one place so a new kind cannot be shown as another: `silent` (no reading
 * for the device's `silentAfterMinutes`) is not an energy alert, so it has no
 * "kWh of limit" line.
 */
import type { Alert, AlertKind } from '../../../api/contract.ts';

interface KindLabels {
  /** Short badge text. */
  badge: string;
  /** Badge class (styles/base.css). */
  badgeClass: 'badge-danger' | 'badge-warn';
  /** The bell's line. */
  title: string;
  /** The toast's title after the device name. */
  toast: string;
  /** Toast colour. */
  tone: 'danger' | 'warning';
}

const LABELS: Record<AlertKind, KindLabels> = {
  exceeded: {
    badge: 'Over limit',
    badgeClass: 'badge-danger',
    title: 'Over the limit',
    toast: 'is over its hourly limit',
    tone: 'danger',
  },
  projected: {
    badge: 'Projected over',
    badgeClass: 'badge-warn',
    title: 'Heading over the limit',
    toast: 'is heading over its hourly limit',
    tone: 'warning',
  },
  silent: {
    badge: 'Silent',
    badgeClass: 'badge-warn',
    title: 'No readings',
    toast: 'has stopped reporting',
    tone: 'warning',
  },
};

export const alertLabels = (kind: AlertKind): KindLabels => LABELS[kind];

/** Whether the alert is about energy (a kWh figure against the limit means something). */
export const isEnergyAlert = (kind: AlertKind): boolean => kind !== 'silent';

/**
 * Whether a device is silent now: it has an open `silent` alert and no reading
 * has been seen since. The server acknowledges the alert with the device's next
 * reading; that reading's `live` event (`liveAt`) tells us before the alert
 * list is fetched again.
 */
export function isSilentNow(openAlerts: readonly Alert[], liveAt: string | undefined): boolean {
  return openAlerts.some(
    (a) => a.kind === 'silent' && (!liveAt || Date.parse(liveAt) < Date.parse(a.createdAt)),
  );
}
