/**
 * Two api nodes on real Redis (a random key prefix per file) form one
 * Socket.IO cluster with the runtime's emitter: an alert published by a
 * RedisEventPublisher reaches the owner and the admins on whichever node they
 * are connected to, and nobody else.
 */
import { describe, expect, it } from 'vitest';
import { alertFor, connect, nextEvent, recorder, useTwoNodeCluster } from './testing.ts';

const cluster = useTwoNodeCluster();

describe('two api nodes with the Redis adapter', () => {
  it('an alert from the cluster.emitter reaches the owner on node 2 and an admin on node 1, not another client', async () => {
    const alice = await cluster.t.createClient();
    const bob = await cluster.t.createClient();
    const a = await connect(cluster.node2.url, { token: alice.token });
    const admin = await connect(cluster.node1.url, { token: cluster.t.adminToken });
    const b1 = await connect(cluster.node1.url, { token: bob.token });
    const b2 = await connect(cluster.node2.url, { token: bob.token });
    const seenByBob = [recorder(b1), recorder(b2)];

    const alert = alertFor(alice.id);
    const toAlice = nextEvent(a, 'alert');
    const toAdmin = nextEvent(admin, 'alert');
    cluster.emitter.emit([`user:${alice.id}`, 'admins'], 'alert', alert);
    expect(await toAlice).toEqual(alert);
    expect(await toAdmin).toEqual(alert);

    // Redis delivers in publish order: once Bob has the marker, he would have had the alert too.
    const marker = alertFor(bob.id);
    const markers = [nextEvent(b1, 'alert'), nextEvent(b2, 'alert')];
    cluster.emitter.emit([`user:${bob.id}`], 'alert', marker);
    expect(await Promise.all(markers)).toEqual([marker, marker]);
    for (const seen of seenByBob) expect(seen).toEqual([{ event: 'alert', payload: marker }]);
  });

  it('a `live` total to the admins reaches admins on both nodes', async () => {
    const onNode1 = await connect(cluster.node1.url, { token: cluster.t.adminToken });
    const onNode2 = await connect(cluster.node2.url, { token: cluster.t.adminToken });
    const live = {
      deviceId: crypto.randomUUID(),
      hourStart: '2026-03-29T01:00:00.000Z',
      kwh: 0.4,
      rolling60Kwh: 1.1,
      projectedKwh: 1.6,
      at: '2026-03-29T01:15:00.000Z',
    };
    const got = [nextEvent(onNode1, 'live'), nextEvent(onNode2, 'live')];
    cluster.emitter.emit(['admins'], 'live', live);
    expect(await Promise.all(got)).toEqual([live, live]);
  });
});
