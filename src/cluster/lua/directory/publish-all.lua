-- ARGV: p, channel, message. Publishes to every node; returns { receivers, live nodes } so the
-- caller can tell a broadcast that some live node missed.
local receivers = redis.call('PUBLISH', ARGV[2], ARGV[3])
return { receivers, liveNodes() }
