-- ARGV: p, channel, message. Publishes to every node; returns { receivers, live nodes } so the
-- caller can tell a broadcast that some live node missed.
-- KEYS: p:dir, p:nodes. Found running: each node's liveness.
k.nodes = KEYS[2]
local receivers = redis.call('PUBLISH', ARGV[2], ARGV[3])
return { receivers, liveNodes() }
