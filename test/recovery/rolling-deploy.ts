import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { KwsClient, type KwsSession } from '../../src/client/index.js';
import { KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { recoveryApp } from '../apps/recovery.app.js';
import { startApp } from '../helpers/start-app.js';
import { TcpBalancer } from '../helpers/tcp-balancer.js';
import { eventually } from '../helpers/ws-client.js';

/** What one client saw during the deploy. */
export interface ClientRecord {
  client: KwsClient;
  numbers: number[];
  /** KWS_DEPLOY_DEBUG: each number with the offset it came with, and each state change. */
  offsets: string[];
  sessions: KwsSession[];
  /** Milliseconds spent not open (from each `reconnecting` to the next `open`). */
  reconnectingMs: number;
}

/** What a rolling deploy did to every client: the figures the issue asks for. */
export interface DeployReport {
  clients: number;
  sent: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Clients that lost at least one message. */
  clientsWithLoss: number;
  /** Clients whose uuid changed (a fresh session instead of a resume). */
  uuidChanged: number;
  disconnects: number;
  reconnectMs: { p50: number; p99: number; max: number };
  elapsedMs: number;
}

interface DeployNode {
  port: number;
  server: KwsServer;
  log: EventLog;
  stop(): Promise<void>;
}

/**
 * A rolling deploy, end to end: 3 cluster nodes (in this process) behind a round-robin TCP
 * balancer that reads their readiness, `count` shipped clients, one broadcaster sending numbered
 * messages every `intervalMs` from a node that stays up, and each node restarted in turn
 * (`app.close()`, then a new node joins the balancer). Recovery on or off.
 */
export async function rollingDeploy(options: {
  redisUrl: string;
  count: number;
  recovery: boolean;
  intervalMs?: number;
}): Promise<DeployReport> {
  const { redisUrl, count, recovery } = options;
  const intervalMs = options.intervalMs ?? 20;
  const keyPrefix = `kws-deploy-${randomUUID()}`;
  const disconnects: string[] = [];
  const nodeOptions: KwsModuleOptions = {
    cluster: { redis: redisUrl, keyPrefix, heartbeatInterval: 200, nodeTtl: 2_000 },
    recovery: recovery ? { maxDisconnection: 60_000, maxMessages: 10_000 } : undefined,
    allowUpgrade: undefined,
    shutdownTimeout: 2_000,
  };
  const startNode = async (): Promise<DeployNode> => {
    const running = await startApp(recoveryApp(nodeOptions));
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.stats().cluster?.registered,
      (registered) => registered === true,
      10_000,
    );
    return {
      port: running.port,
      server,
      log: running.app.get(EventLog),
      stop: async () => {
        await running.app.close();
      },
    };
  };
  const nodes: DeployNode[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await startNode());
  const backend = (node: DeployNode) => ({ port: node.port, ready: () => !node.server.draining });
  const balancer = await TcpBalancer.start(nodes.map(backend));
  const records: ClientRecord[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const client = new KwsClient(`ws://127.0.0.1:${balancer.port}/ws`, {
        WebSocket,
        minDelay: 100,
        maxDelay: 2_000,
      });
      const record: ClientRecord = {
        client,
        numbers: [],
        offsets: [],
        sessions: [],
        reconnectingMs: 0,
      };
      let since = 0;
      client.onState(({ state }) => {
        if (process.env.KWS_DEPLOY_DEBUG) {
          record.offsets.push(
            `${state}@${(client as any).offset}@${Math.round(performance.now())}`,
          );
        }
        if (state === 'reconnecting' && since === 0) since = performance.now();
        if (state === 'open' && since > 0) {
          record.reconnectingMs += performance.now() - since;
          since = 0;
        }
      });
      client.on('n', (n: number) => {
        record.numbers.push(n);
        if (process.env.KWS_DEPLOY_DEBUG) record.offsets.push(`${n}@${(client as any).offset}`);
      });
      client.onSession((session) => void record.sessions.push(session));
      records.push(record);
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ready = (): boolean =>
      records.every((r) => r.client.state === 'open' && (!recovery || r.sessions.length > 0));
    await eventually(ready, (ok) => ok, 60_000);

    // The broadcaster: numbered messages, one after the other, from a node that stays up.
    let sent = 0;
    let sender = nodes[1];
    let broadcasting = true;
    const broadcaster = (async () => {
      while (broadcasting) {
        const n = sent + 1;
        try {
          await sender.server.broadcast({ event: 'n', data: n });
          sent = n;
        } catch {
          // the sender is going away: the next node sends it again
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 3; i++) {
      const old = nodes[i];
      sender = nodes[(i + 1) % 3];
      await old.stop();
      for (const event of old.log.named('disconnect')) {
        disconnects.push(event.socketUUID);
        if (process.env.KWS_DEPLOY_DEBUG)
          console.log('disconnect on stopped node', i, (event as any).error);
      }
      balancer.remove(old.port);
      const fresh = await startNode();
      nodes[i] = fresh;
      balancer.add(backend(fresh));
      await eventually(ready, (ok) => ok, 60_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    broadcasting = false;
    await broadcaster;
    const last = sent;
    const settled = (): boolean => records.every((r) => r.numbers.at(-1) === last);
    await eventually(settled, (ok) => ok, recovery ? 20_000 : 2_000).catch(() => undefined);
    const elapsedMs = performance.now() - started;
    for (const node of nodes) {
      for (const event of node.log.named('disconnect')) {
        disconnects.push(event.socketUUID);
        if (process.env.KWS_DEPLOY_DEBUG)
          console.log('disconnect on live node', (event as any).error);
      }
    }
    return report(records, last, disconnects.length, elapsedMs);
  } finally {
    for (const record of records) record.client.close();
    await balancer.stop();
    for (const node of nodes) await node.stop().catch(() => undefined);
  }
}

function report(
  records: ClientRecord[],
  sent: number,
  disconnects: number,
  elapsedMs: number,
): DeployReport {
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let clientsWithLoss = 0;
  let uuidChanged = 0;
  for (const { numbers, sessions, offsets } of records) {
    const seen = new Set<number>();
    let previous = 0;
    for (const n of numbers) {
      if (seen.has(n)) duplicated++;
      else if (n < previous) outOfOrder++;
      seen.add(n);
      previous = Math.max(previous, n);
    }
    let missing = 0;
    for (let n = 1; n <= sent; n++) if (!seen.has(n)) missing++;
    lost += missing;
    if (missing > 0 && process.env.KWS_DEPLOY_DEBUG) {
      const gaps = [];
      for (let n = 1; n <= sent; n++) if (!seen.has(n)) gaps.push(n);
      console.log('missing', gaps, 'of', sent, JSON.stringify(sessions), offsets.join(' '));
    }
    if (missing > 0) clientsWithLoss++;
    if (new Set(sessions.map((session) => session.uuid)).size > 1) uuidChanged++;
  }
  const times = records.map((r) => r.reconnectingMs).sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
  return {
    clients: records.length,
    sent,
    lost,
    duplicated,
    outOfOrder,
    clientsWithLoss,
    uuidChanged,
    disconnects,
    reconnectMs: { p50: at(0.5), p99: at(0.99), max: Math.round(times.at(-1) ?? 0) },
    elapsedMs: Math.round(elapsedMs),
  };
}
