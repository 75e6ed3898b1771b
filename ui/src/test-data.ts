/** Small builders for contract shapes used across store tests. */
import type { Alert, ChatMessage, Device, User } from '../../api/contract.ts';

let n = 0;
export function uuid(): string {
  n += 1;
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function aUser(over: Partial<User> = {}): User {
  return {
    id: uuid(),
    username: 'ada',
    name: 'Ada Lovelace',
    email: null,
    role: 'client',
    notifyByEmail: false,
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export function aDevice(over: Partial<Device> = {}): Device {
  return {
    id: uuid(),
    name: 'Heat pump',
    description: '',
    address: '',
    maxHourlyKwh: 2,
    meterKind: 'cumulative',
    timeZone: 'Europe/Berlin',
    ownerId: null,
    tariff: null,
    createdAt: '2026-01-01T00:00:00Z',
    mqttTopic: null,
    mqttFormat: null,
    silentAfterMinutes: null,
    ...over,
  };
}

export function anAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: uuid(),
    deviceId: uuid(),
    deviceName: 'Heat pump',
    ownerId: null,
    kind: 'exceeded',
    hourStart: '2026-07-01T10:00:00Z',
    kwh: 2.5,
    maxHourlyKwh: 2,
    late: false,
    createdAt: '2026-07-01T10:40:00Z',
    acknowledgedAt: null,
    ...over,
  };
}

export function aMessage(over: Partial<ChatMessage> & { conversationId: string }): ChatMessage {
  return {
    id: uuid(),
    sender: { id: over.conversationId, role: 'client', name: 'Ada' },
    body: 'Hello',
    createdAt: '2026-07-01T10:00:00Z',
    readAt: null,
    ...over,
  };
}
