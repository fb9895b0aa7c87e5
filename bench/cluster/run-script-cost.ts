// `node .out/bench/cluster/run-script-cost.js [sizes...]`: only the directory script costs.
import { startBenchRedis } from './bench-redis.js';
import { measureScriptCosts } from './script-cost.js';

const sizes = process.argv.slice(2).map(Number);
const redis = await startBenchRedis();
try {
  const costs = await measureScriptCosts(redis.url, sizes.length ? sizes : [10_000, 100_000]);
  for (const cost of costs) process.stdout.write(`${JSON.stringify(cost)}\n`);
} finally {
  await redis.stop();
}
