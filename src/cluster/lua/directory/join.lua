-- ARGV: p, node, ttl, uuid... (Re)joins: marks the node alive, retires what it held before and
-- claims the given uuids; returns those a live node holds.
-- KEYS: p:dir, p:nodes, p:alive:<node>, p:conns:<node>, p:members:<node>, p:gc, p:gcseq.
-- Found running: the liveness of the uuids' current owners, the garbage sets' names.
local node = ARGV[2]
k.nodes, k.gc, k.gcseq = KEYS[2], KEYS[6], KEYS[7]
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('SADD', k.nodes, node)
retire(node, KEYS[4], KEYS[5])
return claimFrom(node, KEYS[4], 4)
