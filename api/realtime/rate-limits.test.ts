/**
 * Per-socket limits on the cheap-to-send, costly-to-serve events: a burst of
 * `chat:typing` / `chat:read` gets at most 2 / 5 through per second; the rest
 * are answered `too_many_requests`, not relayed, and counted.
 */

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { exposeDroppedEvents } from './gateway.ts';
import { connect, recorder, request, useApiNode } from './testing.ts';

const api = useApiNode();

describe('socket event rate limits', () => {
  it('a burst of 20 chat:typing: at most 2 relayed, the rest refused and counted', async () => {
    const alice = await api.t.createClient();
    const client = await connect(api.node.url, { token: alice.token });
    const admin = await connect(api.node.url, { token: api.t.adminToken });
    const seen = recorder(admin);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(client, 'chat:typing', { conversationId: alice.id, typing: true }),
      ),
    );
    const ok = replies.filter((r) => r.ok).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    expect(replies.filter((r) => r.error?.code === 'too_many_requests')).toHaveLength(20 - ok);
    // A marker after the burst: everything relayed before it has arrived.
    await request(admin, 'chat:send', { conversationId: alice.id, body: 'marker' });
    await new Promise<void>((resolve) => {
      const check = () => (seen.some((e) => e.event === 'chat:message') ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(seen.filter((e) => e.event === 'chat:typing').length).toBe(ok);
    expect(api.node.realtime.droppedEvents['chat:typing']).toBeGreaterThanOrEqual(20 - ok);
    const registry = new Registry();
    exposeDroppedEvents(registry, api.node.realtime);
    expect(await registry.metrics()).toMatch(/ems_socket_events_dropped\{event="chat:typing"\} [1-9]/);
  });

  it('a burst of 20 chat:read: at most 5 handled', async () => {
    const bob = await api.t.createClient();
    const client = await connect(api.node.url, { token: bob.token });
    const sent = await request(client, 'chat:send', { conversationId: bob.id, body: 'hello' });
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(client, 'chat:read', { conversationId: bob.id, upTo: sent.message.id }),
      ),
    );
    const refused = replies.filter((r) => r.error?.code === 'too_many_requests').length;
    expect(refused).toBeGreaterThanOrEqual(15);
  });
});
