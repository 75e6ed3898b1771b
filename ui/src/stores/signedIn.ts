/**
 * What every signed-in page shares: the realtime connection, the open alerts,
 * the user's devices and the chat. Started when the signed-in frame mounts,
 * torn down (and forgotten) when it unmounts on sign-out.
 */
import { onBeforeUnmount, onMounted } from 'vue';
import { useAlerts } from './alerts.ts';
import { useChat } from './chat.ts';
import { useDevices } from './devices.ts';
import { useFleet } from './fleet.ts';
import { useRealtime } from './realtime.ts';
import { useSession } from './session.ts';

export function useSignedInData(): void {
  const session = useSession();
  const realtime = useRealtime();
  const stores = [useAlerts(), useDevices(), useChat(), useFleet()] as const;
  const [alerts, devices, chat] = stores;

  onMounted(() => {
    if (session.token) realtime.start(session.token);
    void alerts.fetchOpen();
    void devices.fetchAll();
    if (session.isAdmin) void chat.fetchConversations();
    else if (session.user) void chat.loadMessages(session.user.id);
  });

  onBeforeUnmount(() => {
    realtime.stop();
    for (const store of stores) store.reset();
  });
}
