-- ARGV: p. Connections per live node, flat: node, count, node, count...
-- KEYS: p:dir, p:nodes. Found running (from p:nodes): each node's liveness and uuid set.
local counts = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if alive(node) then
    counts[#counts + 1] = node
    counts[#counts + 1] = redis.call('SCARD', key('conns', node))
  end
end
return counts
