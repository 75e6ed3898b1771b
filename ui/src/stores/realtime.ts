/**
 * The live connection and where its events go. Alerts land in the bell and,
 * when recent, as a toast (a few at once), live totals in devices (and today's chart), chat events in the chat
 * store. When the socket drops, the header shows "reconnecting…"; when it comes
 * back, anything missed meanwhile is fetched again over REST.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Alert } from '../../../api/contract.ts';
import { closeSocket, type EmsSocket, openSocket } from '../api/socket.ts';
import { alertLabels, isEnergyAlert } from '../lib/alertLabels.ts';
import { kwhLabel } from '../lib/time.ts';
import { isToastWorthy, useAlerts } from './alerts.ts';
import { useChat } from './chat.ts';
import { useConsumption } from './consumption.ts';
import { useDevices } from './devices.ts';
import { useFleet } from './fleet.ts';
import { useSession } from './session.ts';
import { useToasts } from './toasts.ts';

export type ConnectionStatus = 'offline' | 'connecting' | 'online' | 'reconnecting';

/** Shows a pushed alert as a toast when it is recent; a burst shows a few, and all are in the bell. */
function toastAlert(alert: Alert): void {
  if (!isToastWorthy(alert, Date.now())) return;
  const labels = alertLabels(alert.kind);
  useToasts().pushGrouped(
    'alert',
    {
      kind: labels.tone,
      title: `${alert.deviceName} ${labels.toast}`,
      body: isEnergyAlert(alert.kind)
        ? `${kwhLabel(alert.kwh)} of ${kwhLabel(alert.maxHourlyKwh)} this hour`
        : 'No reading arrived for the time set on the device.',
      to: `/devices/${alert.deviceId}`,
    },
    (more) => ({
      kind: 'warning',
      title: `+${more} more ${more === 1 ? 'alert' : 'alerts'}`,
      body: 'All of them are in the bell.',
    }),
  );
}

/** Live totals and device changes go to the devices (and today's chart), the fleet summary to the fleet. */
function wireData(socket: EmsSocket): void {
  const devices = useDevices();
  const consumption = useConsumption();
  socket.on('live', (total) => {
    devices.applyLive(total);
    consumption.applyLive(total);
  });
  socket.on('fleet:summary', (summary) => useFleet().apply(summary));
  socket.on('device:updated', (device) => devices.upsert(device));
  socket.on('device:deleted', ({ id }) => devices.forget(id));
}

/** Chat events go to the chat store; a message while no chat is on screen is also a toast. */
function wireChat(socket: EmsSocket): void {
  const chat = useChat();
  const session = useSession();
  socket.on('chat:message', (message) => {
    const fresh = !(chat.messages[message.conversationId] ?? []).some((m) => m.id === message.id);
    chat.receive(message);
    // Someone wrote while no chat is on screen: say so once, with a way there. With a
    // conversation open, the inbox list and its unread badges already show it.
    if (fresh && !chat.isOurs(message) && chat.activeId === null) {
      useToasts().push({
        kind: 'info',
        title: session.isAdmin
          ? `New message from ${message.sender.name}`
          : `New message from ${message.sender.role === 'assistant' ? 'the assistant' : 'support'}`,
        body: message.body.length > 90 ? `${message.body.slice(0, 90)}…` : message.body,
        to: session.isAdmin ? `/admin/chat/${message.conversationId}` : '/support',
      });
    }
  });
  socket.on('chat:typing', (payload) => chat.receiveTyping(payload));
  socket.on('chat:read', (payload) => chat.receiveRead(payload));
}

export const useRealtime = defineStore('realtime', () => {
  const status = ref<ConnectionStatus>('offline');
  let everConnected = false;

  /** The connection's own events and alerts; the rest is wired by subject below. */
  function wire(socket: EmsSocket): void {
    const alerts = useAlerts();
    const session = useSession();

    socket.on('connect', () => {
      status.value = 'online';
      if (everConnected) {
        // What was raised while we were away is shown as if it had been pushed just now.
        void alerts.catchUp().then((missed) => {
          for (const alert of missed) toastAlert(alert);
        });
        if (session.isAdmin) void useFleet().fetch();
        void useChat().refreshActive();
      }
      everConnected = true;
    });
    socket.on('disconnect', (reason) => {
      // The server closing us on purpose (e.g. token revoked) does not auto-reconnect.
      if (reason === 'io server disconnect') socket.connect();
      status.value = 'reconnecting';
    });
    socket.on('connect_error', (error) => {
      if (error.message === 'unauthorized') {
        stop();
        session.expire();
        return;
      }
      status.value = everConnected ? 'reconnecting' : 'connecting';
    });

    socket.on('alert', (alert) => {
      // Every new alert goes to the bell; old backfill is not toasted, and a burst shows a few.
      if (alerts.receive(alert)) toastAlert(alert);
    });
    wireData(socket);
    wireChat(socket);
  }

  function start(token: string): void {
    everConnected = false;
    status.value = 'connecting';
    wire(openSocket(token));
  }

  function stop(): void {
    closeSocket();
    status.value = 'offline';
  }

  return { status, start, stop };
});
