-- ARGV: p, node, ttl, channel. Refreshes the node's liveness and retires nodes that died without a
-- goodbye. Returns { status, garbage sets left to drain, live nodes }: status 1 refreshed, 0 the
-- liveness had expired (the caller rejoins), -1 nobody listens on the node's channel (its
-- subscription is lost: the node is not refreshed, so it counts as dead until it re-subscribes and
-- rejoins). Also retires the parked owners that expired (see ROOM_PARK).
-- KEYS: p:dir, p:nodes, p:alive:<node>, p:gc, p:gcseq, p:parked. Found running (from p:nodes and
-- p:parked): the liveness, uuid and membership sets of the other nodes and of the parked owners,
-- the garbage sets' names.
local node = ARGV[2]
k.nodes, k.gc, k.gcseq, k.parked = KEYS[2], KEYS[4], KEYS[5], KEYS[6]
local listening = redis.call('PUBSUB', 'NUMSUB', ARGV[4])[2]
local status = 1
if listening == 0 then
  status = -1
elseif not redis.call('SET', KEYS[3], '1', 'PX', ARGV[3], 'XX') then
  status = 0
end
sweep(node)
sweepParked()
return { status, redis.call('HLEN', k.gc), liveNodes() }
