-- ARGV: p. Connections per live node, flat: node, count, node, count...
local counts = {}
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if alive(node) then
    counts[#counts + 1] = node
    counts[#counts + 1] = redis.call('SCARD', p .. ':conns:' .. node)
  end
end
return counts
