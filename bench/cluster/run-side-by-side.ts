// `node .out/bench/cluster/run-side-by-side.js`: nestjs-kws and socket.io clusters side by side.
// Flags: --clients 1000 --messages 200 --size 64 --per-tick 10 --samples 2000
import { parseArgs } from 'node:util';
import { startBenchRedis } from './bench-redis.js';
import { measureSideBySide, renderSideBySide } from './side-by-side.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '200' },
    size: { type: 'string', default: '64' },
    'per-tick': { type: 'string', default: '10' },
    samples: { type: 'string', default: '2000' },
  },
});
const options = {
  clients: Number(values.clients),
  messages: Number(values.messages),
  size: Number(values.size),
  perTick: Number(values['per-tick']),
  samples: Number(values.samples),
};
const redis = await startBenchRedis();
try {
  process.stdout.write(renderSideBySide(await measureSideBySide(redis, options), options));
} finally {
  await redis.stop();
}
