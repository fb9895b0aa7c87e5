import { fileURLToPath } from 'node:url';
import {
  KWS_BROKER,
  KwsModule,
  KwsServer,
  type KwsClusterOptions,
  type KwsModuleOptions,
  type KwsRedisBroker,
} from '../../src/index.js';
import { spawnNodeFixture } from '../helpers/node-process.js';
import { startApp } from '../helpers/start-app.js';
import { installClusterCommands } from './fixtures/cluster-commands.mjs';

/** One app instance of a test cluster, wherever it runs. */
export interface ClusterNode {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A node in this process, on the TypeScript sources (`options`: more module options). */
export async function startInProcessNode(
  cluster: KwsClusterOptions,
  options: KwsModuleOptions = {},
): Promise<ClusterNode & { server: KwsServer; broker: KwsRedisBroker }> {
  const running = await startApp(KwsModule.forRoot({ path: '/ws', ...options, cluster }));
  const server = running.app.get(KwsServer);
  const broker = running.app.get<KwsRedisBroker>(KWS_BROKER);
  installClusterCommands(server);
  return {
    port: running.port,
    url: running.wsUrl('/ws'),
    server,
    broker,
    stop: () => running.app.close(),
  };
}

const NODE_SCRIPT = fileURLToPath(new URL('./fixtures/cluster-node.mjs', import.meta.url));

/**
 * A node in a process of its own (plain `node` on the built library, so `npm run build` first;
 * `npm test` does). `kill('SIGKILL')` makes it die without a goodbye.
 */
export async function startProcessNode(
  redisUrl: string,
  keyPrefix: string,
  timings: { heartbeatInterval?: number; nodeTtl?: number } = {},
): Promise<ClusterNode & { kill(signal: NodeJS.Signals): Promise<void> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl, KWS_PREFIX: keyPrefix };
  if (timings.heartbeatInterval) env.KWS_HEARTBEAT = String(timings.heartbeatInterval);
  if (timings.nodeTtl) env.KWS_NODE_TTL = String(timings.nodeTtl);
  const { port, kill } = await spawnNodeFixture(NODE_SCRIPT, env, 'cluster node');
  return { port, url: `ws://127.0.0.1:${port}/ws`, kill, stop: () => kill('SIGTERM') };
}
