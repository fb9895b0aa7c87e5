-- ARGV: p. Connections held by live nodes.
-- KEYS: p:dir, p:nodes. Found running (from p:nodes): each node's liveness and uuid set.
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if alive(node) then total = total + redis.call('SCARD', key('conns', node)) end
end
return total
