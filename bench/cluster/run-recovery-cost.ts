// `node .out/bench/cluster/run-recovery-cost.js`: only the recovery cost table.
// Flags: --clients 1000 --messages 200 --size 64 --per-tick 10
import { parseArgs } from 'node:util';
import { startBenchRedis } from './bench-redis.js';
import { measureRecoveryCost, renderRecoveryCost } from './recovery-cost.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '200' },
    size: { type: 'string', default: '64' },
    'per-tick': { type: 'string', default: '10' },
  },
});
const options = {
  clients: Number(values.clients),
  messages: Number(values.messages),
  size: Number(values.size),
  perTick: Number(values['per-tick']),
};
const redis = await startBenchRedis();
try {
  process.stdout.write(renderRecoveryCost(await measureRecoveryCost(redis, options), options));
} finally {
  await redis.stop();
}
