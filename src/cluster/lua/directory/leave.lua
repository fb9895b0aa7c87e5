-- ARGV: p, node. Goodbye: the node's uuids are released at once (dead nodes' are retired).
-- KEYS: p:dir, p:nodes, p:alive:<node>, p:conns:<node>, p:members:<node>, p:gc, p:gcseq.
-- Found running (from p:nodes): the keys of the dead nodes it retires, the garbage sets' names.
local node = ARGV[2]
k.nodes, k.gc, k.gcseq = KEYS[2], KEYS[6], KEYS[7]
sweep(node)
retire(node, KEYS[4], KEYS[5])
redis.call('DEL', KEYS[3])
redis.call('SREM', k.nodes, node)
return redis.call('HLEN', k.gc)
