-- ARGV: p, node, ttl, channel. Refreshes the node's liveness and retires nodes that died without a
-- goodbye. Returns { status, garbage sets left to drain, live nodes }: status 1 refreshed, 0 the liveness had
-- expired (the caller rejoins), -1 nobody listens on the node's channel (its subscription is
-- lost: the node is not refreshed, so it counts as dead until it re-subscribes and rejoins).
local node = ARGV[2]
local listening = redis.call('PUBSUB', 'NUMSUB', ARGV[4])[2]
local status = 1
if listening == 0 then
  status = -1
elseif not redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3], 'XX') then
  status = 0
end
sweep(node)
return { status, redis.call('HLEN', p .. ':gc'), liveNodes() }
