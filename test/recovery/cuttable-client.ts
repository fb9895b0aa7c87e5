import { KwsClient, type KwsClientOptions, type KwsSession } from '../../src/client/index.js';
import { eventually } from '../helpers/ws-client.js';
import { CuttableSockets } from './cuttable-socket.js';

/** A shipped client over cuttable sockets, with the sessions and `tick` events it received. */
export interface CuttableClient {
  client: KwsClient;
  cuttable: CuttableSockets;
  sessions: KwsSession[];
  ticks: number[];
}

/**
 * Opens the shipped client on `url` (fast retries: 20-50 ms) over sockets the test can cut,
 * records it in `clients` for the teardown, and resolves once its first session arrived.
 */
export async function openCuttable(
  url: string,
  clients: KwsClient[],
  options: Partial<KwsClientOptions> = {},
): Promise<CuttableClient> {
  const cuttable = new CuttableSockets();
  const client = new KwsClient(url, {
    WebSocket: cuttable.WebSocket,
    minDelay: 20,
    maxDelay: 50,
    ...options,
  });
  clients.push(client);
  const sessions: KwsSession[] = [];
  const ticks: number[] = [];
  client.onSession((session) => void sessions.push(session));
  client.on('tick', (n: number) => void ticks.push(n));
  await eventually(
    () => sessions.length,
    (n) => n === 1,
  );
  return { client, cuttable, sessions, ticks };
}
