// Redis time of the directory's scripts, from Redis' own SLOWLOG (threshold 0: every command is
// logged with its duration): cleaning up after a dead node with N uuids, and a rejoin claiming N
// uuids. The point is the longest single call, which blocks every other client of Redis.
import { Redis } from 'ioredis';
import { CLAIM_BATCH, GC_BATCH } from '../../src/cluster/connection.directory.js';
import * as scripts from '../../src/cluster/directory.scripts.js';

export interface ScriptCost {
  operation: string;
  uuids: number;
  calls: number;
  /** Median and longest single script call, in µs of Redis time. */
  medianMicros: number;
  maxMicros: number;
  totalMicros: number;
}

/** The cleanup as it was before batching: one call walks every uuid of the dead node. */
const UNBATCHED_FORGET = `
local p, node = ARGV[1], ARGV[2]
for _, uuid in ipairs(redis.call('SMEMBERS', p .. ':conns:' .. node)) do
  if redis.call('HGET', p .. ':dir', uuid) == node then redis.call('HDEL', p .. ':dir', uuid) end
end
redis.call('DEL', p .. ':conns:' .. node)
return 1`;

/** numkeys, then the keys a script declares (see its header in src/cluster/lua/directory/). */
function keys(p: string, ...names: string[]): [number, ...string[]] {
  return [names.length, ...names.map((name) => `${p}:${name}`)];
}

export async function measureScriptCosts(url: string, sizes: number[]): Promise<ScriptCost[]> {
  const redis = new Redis(url);
  const costs: ScriptCost[] = [];
  try {
    await redis.config('SET', 'slowlog-max-len', '1000000');
    for (const size of sizes) {
      costs.push(await cleanupCost(redis, size, false));
      costs.push(await cleanupCost(redis, size, true));
      costs.push(await rejoinCost(redis, size));
    }
  } finally {
    await redis.config('SET', 'slowlog-log-slower-than', '10000');
    redis.disconnect();
  }
  return costs;
}

async function cleanupCost(redis: Redis, size: number, batched: boolean): Promise<ScriptCost> {
  const p = `kws-cost-${size}-${batched}`;
  await seedDeadNode(redis, p, size);
  await redis.set(`${p}:alive:live`, '1', 'PX', 60_000);
  await redis.sadd(`${p}:nodes`, 'live');
  await startLog(redis);
  if (batched) {
    await redis.eval(
      scripts.HEARTBEAT,
      ...keys(p, 'dir', 'nodes', 'alive:live', 'gc', 'gcseq', 'parked'),
      p,
      'live',
      60_000,
      `${p}:nobody`,
    );
    while (
      (
        (await redis.eval(
          scripts.GC_STEP,
          ...keys(p, 'dir', 'gc', 'gccursor', 'rooms'),
          p,
          GC_BATCH,
        )) as number[]
      )[0] > 0
    );
  } else {
    await redis.eval(UNBATCHED_FORGET, 0, p, 'dead');
  }
  const operation = batched
    ? `dead-node cleanup, batches of ${GC_BATCH}`
    : 'dead-node cleanup, one call (before)';
  return { operation, uuids: size, ...(await readLog(redis)) };
}

async function rejoinCost(redis: Redis, size: number): Promise<ScriptCost> {
  const p = `kws-cost-join-${size}`;
  const uuids = Array.from({ length: size }, (_, i) => `u${i}`);
  await startLog(redis);
  await redis.eval(
    scripts.JOIN,
    ...keys(p, 'dir', 'nodes', 'alive:live', 'conns:live', 'members:live', 'gc', 'gcseq'),
    p,
    'live',
    60_000,
    ...uuids.slice(0, CLAIM_BATCH),
  );
  for (let start = CLAIM_BATCH; start < size; start += CLAIM_BATCH) {
    await redis.eval(
      scripts.CLAIM_ALL,
      ...keys(p, 'dir', 'conns:live'),
      p,
      'live',
      ...uuids.slice(start, start + CLAIM_BATCH),
    );
  }
  return { operation: `rejoin, batches of ${CLAIM_BATCH}`, uuids: size, ...(await readLog(redis)) };
}

async function seedDeadNode(redis: Redis, p: string, size: number): Promise<void> {
  for (let start = 0; start < size; start += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, size - start) }, (_, i) => `u${start + i}`);
    await redis.hset(`${p}:dir`, ...batch.flatMap((uuid) => [uuid, 'dead']));
    await redis.sadd(`${p}:conns:dead`, ...batch);
  }
  await redis.sadd(`${p}:nodes`, 'dead');
}

async function startLog(redis: Redis): Promise<void> {
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.slowlog('RESET');
}

async function readLog(redis: Redis): Promise<Omit<ScriptCost, 'operation' | 'uuids'>> {
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const entries = (await redis.slowlog('GET', 1_000_000)) as Array<
    [number, number, number, string[]]
  >;
  const evals = entries.filter(([, , , args]) => /^eval/i.test(args[0]));
  const micros = evals.map(([, , duration]) => duration).sort((a, b) => a - b);
  return {
    calls: micros.length,
    medianMicros: micros[Math.floor(micros.length / 2)] ?? 0,
    maxMicros: Math.max(0, ...micros),
    totalMicros: micros.reduce((sum, m) => sum + m, 0),
  };
}
