import { fileURLToPath } from 'node:url';
import { KwsServer, type KwsClusterOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { recoveryApp } from '../apps/recovery.app.js';
import { spawnNodeFixture } from '../helpers/node-process.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

/** A cluster node with recovery, in this process (test/apps/recovery.app.ts). */
export async function startRecoveryNode(cluster: KwsClusterOptions, maxDisconnection = 20_000) {
  const running = await startApp(
    recoveryApp({ cluster, recovery: { maxDisconnection }, allowUpgrade: undefined }),
  );
  const server = running.app.get(KwsServer);
  // A node may finish starting before it joined the cluster (a Redis Cluster connect slower than
  // requestTimeout counts as Redis away at boot); the tests use a node once it is registered, as
  // a readiness check (/health) would.
  await eventually(
    () => server.stats().cluster?.registered,
    (registered) => registered === true,
    10_000,
  );
  return {
    port: running.port,
    server,
    log: running.app.get(EventLog),
    stop: () => running.app.close(),
  };
}

const NODE_SCRIPT = fileURLToPath(new URL('./fixtures/recovery-node.mjs', import.meta.url));

/**
 * The same node in a process of its own (on dist/: `npm run build` first), to SIGKILL it;
 * `redisUrl` may be a topology's `processUrl` ("cluster:host:port,...").
 */
export async function startRecoveryProcess(
  redisUrl: string,
  keyPrefix: string,
  timings: { heartbeatInterval?: number; nodeTtl?: number } = {},
) {
  const { port, kill } = await spawnNodeFixture(
    NODE_SCRIPT,
    {
      ...process.env,
      REDIS_URL: redisUrl,
      KWS_PREFIX: keyPrefix,
      KWS_HEARTBEAT: String(timings.heartbeatInterval ?? 1000),
      KWS_NODE_TTL: String(timings.nodeTtl ?? 3000),
    },
    'recovery node',
  );
  return { port, kill, stop: () => kill('SIGTERM') };
}
