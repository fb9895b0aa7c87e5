-- ARGV: p. Connections held by live nodes.
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if alive(node) then total = total + redis.call('SCARD', p .. ':conns:' .. node) end
end
return total
