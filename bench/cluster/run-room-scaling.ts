// `node .out/bench/cluster/run-room-scaling.js`: only the room-broadcast scaling table.
// Flags: --nodes 2,4,6 --members 60 --messages 2000 --size 64 --per-tick 10
import { parseArgs } from 'node:util';
import { startBenchRedis } from './bench-redis.js';
import { measureRoomScaling, renderRoomScaling } from './room-scaling.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2,4,6' },
    members: { type: 'string', default: '60' },
    messages: { type: 'string', default: '2000' },
    size: { type: 'string', default: '64' },
    'per-tick': { type: 'string', default: '10' },
  },
});
const options = {
  nodeCounts: values.nodes.split(',').map(Number),
  members: Number(values.members),
  messages: Number(values.messages),
  size: Number(values.size),
  perTick: Number(values['per-tick']),
};
const redis = await startBenchRedis();
try {
  process.stdout.write(renderRoomScaling(await measureRoomScaling(redis, options), options));
} finally {
  await redis.stop();
}
