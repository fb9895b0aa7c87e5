-- ARGV: p, node, ttl, uuid... (Re)joins: marks the node alive, retires what it held before and
-- claims the given uuids; returns those a live node holds.
local node = ARGV[2]
redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3])
redis.call('SADD', p .. ':nodes', node)
retire(node)
return claimFrom(node, 4)
