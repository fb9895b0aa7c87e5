import { describe, expect, it } from 'vitest';
import { KwsEncodeError, KwsError } from '../../src/index.js';
import { ClusterClient } from '../cluster/cluster-client.js';
import { useTwoNodes } from '../cluster/two-nodes.js';
import { watchCrashes } from '../helpers/crash-watch.js';

// Past 65,535 UTF-8 bytes a name no longer fits the cluster codec's string fields: it used to
// fail there with a bare RangeError. The bounds stop it first, with the same errors as one node.
const HUGE = 'n'.repeat(70_000);

describe('cluster mode: name bounds and maxRoomsPerConnection across nodes', () => {
  const cluster = useTwoNodes({ maxRoomsPerConnection: 2 });
  const watch = watchCrashes();

  async function remoteUuid(): Promise<string> {
    const client = await ClusterClient.open(cluster.nodes[0].url);
    cluster.clients.push(client);
    return client.ask('whoami');
  }

  it('a room or event name too long for the codec is a KwsError / KwsEncodeError, not a RangeError', async () => {
    const uuid = await remoteUuid();
    const server = cluster.nodes[1].server;
    await expect(server.join(uuid, HUGE)).rejects.toThrow(KwsError);
    await expect(server.join(uuid, HUGE)).rejects.toThrow(/A room name must be a string/);
    await expect(server.leave(uuid, HUGE)).rejects.toThrow(/A room name must be a string/);
    await expect(server.broadcastTo(HUGE, 'x')).rejects.toThrow(/A room name must be a string/);
    await expect(server.fire(HUGE)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server.request(uuid, { event: HUGE })).rejects.toBeInstanceOf(KwsEncodeError);
    expect(await watch.settled()).toEqual([]);
  });

  it('a join from another node past maxRoomsPerConnection rejects with its KwsError and joins none', async () => {
    const uuid = await remoteUuid();
    const server = cluster.nodes[1].server;
    await server.join(uuid, ['a', 'b']);
    await expect(server.join(uuid, ['a', 'c'])).rejects.toThrow(
      /cannot join more than 2 rooms \(maxRoomsPerConnection\)/,
    );
    const holder = cluster.nodes[0].server.get(uuid)!;
    expect(holder.rooms().sort()).toEqual(['a', 'b']);
    // The holding node goes on serving: a leave then a join from afar work.
    await server.leave(uuid, 'a');
    await server.join(uuid, 'c');
    expect(holder.rooms().sort()).toEqual(['b', 'c']);
    expect(await watch.settled()).toEqual([]);
  });
});
