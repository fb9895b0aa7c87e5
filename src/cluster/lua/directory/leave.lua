-- ARGV: p, node. Goodbye: the node's uuids are released at once (dead nodes' are retired).
local node = ARGV[2]
sweep(node)
retire(node)
redis.call('DEL', p .. ':alive:' .. node)
redis.call('SREM', p .. ':nodes', node)
return redis.call('HLEN', p .. ':gc')
