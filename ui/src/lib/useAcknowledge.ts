/**
 * Acknowledging an alert from any list (the bell, the admin feed, a device page):
 * a failure becomes a toast rather than an unhandled rejection; `confirm` also
 * says so on success where the item does not visibly leave the list.
 */
import { messageOf } from '../api/http.ts';
import { useAlerts } from '../stores/alerts.ts';
import { useToasts } from '../stores/toasts.ts';

export function useAcknowledge(options: { confirm?: boolean } = {}) {
  const alerts = useAlerts();
  const toasts = useToasts();
  return async function ack(id: string): Promise<void> {
    try {
      await alerts.acknowledge(id);
      if (options.confirm) toasts.push({ kind: 'success', title: 'Alert acknowledged' });
    } catch (e) {
      toasts.push({ kind: 'danger', title: 'Could not acknowledge', body: messageOf(e) });
    }
  };
}
