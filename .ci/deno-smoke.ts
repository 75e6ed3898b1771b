/**
 * The client half of the Deno smoke (.ci/deno-smoke.sh): against a server
 * started with `deno task start`, signs in as the administrator, creates a
 * device with a 1 kWh hourly limit, opens a Socket.IO connection with the
 * token, posts readings over the limit in the current hour and waits for the
 * `alert` event — the whole path: REST, queue, device actor, database, push.
 * Usage: npx tsx .ci/deno-smoke.ts <base-url>   (EMS_ADMIN_PASSWORD set)
 */
import { io } from 'socket.io-client';

const base = process.argv[2];
const password = process.env.EMS_ADMIN_PASSWORD;
if (!base || !password) throw new Error('usage: EMS_ADMIN_PASSWORD=… tsx .ci/deno-smoke.ts <base-url>');

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

const { token } = await call<{ token: string }>('POST', '/api/auth/login', { username: 'admin', password });
const device = await call<{ id: string }>(
  'POST',
  '/api/devices',
  { name: 'Deno smoke meter', maxHourlyKwh: 1, meterKind: 'interval', timeZone: 'UTC' },
  token,
);

const socket = io(base, {
  path: '/socket.io',
  auth: { token },
  transports: ['websocket'],
  reconnection: false,
});
await new Promise<void>((resolve, reject) => {
  socket.once('connect', () => resolve());
  socket.once('connect_error', reject);
});
const alert = new Promise<{ deviceId: string; kind: string; kwh: number }>((resolve) =>
  socket.on('alert', (a) => {
    if (a.deviceId === device.id) resolve(a);
  }),
);

// Two readings a second apart, both inside the current UTC hour (wait out its first seconds).
while (Date.now() % 3_600_000 < 3000) await new Promise((r) => setTimeout(r, 500));
const now = Date.now();
await call(
  'POST',
  '/api/readings',
  {
    readings: [
      { deviceId: device.id, timestamp: now - 2000, value: 0.7 },
      { deviceId: device.id, timestamp: new Date(now - 1000).toISOString(), value: 0.6 },
    ],
  },
  token,
);

const timeout = setTimeout(() => {
  console.error('deno smoke: no alert within 30 s');
  process.exit(1);
}, 30_000);
const received = await alert;
clearTimeout(timeout);
socket.close();
if (received.kind !== 'exceeded' || Math.abs(received.kwh - 1.3) > 1e-9) {
  throw new Error(`deno smoke: unexpected alert ${JSON.stringify(received)}`);
}
console.log(`deno smoke: alert received over Socket.IO (${received.kind}, ${received.kwh} kWh)`);
