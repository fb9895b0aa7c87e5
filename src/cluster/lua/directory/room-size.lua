-- ARGV: p, room. Members held by live nodes.
local counts, total = redis.call('HGETALL', p .. ':roomnodes:' .. ARGV[2]), 0
for i = 1, #counts, 2 do
  if alive(counts[i]) then total = total + tonumber(counts[i + 1]) end
end
return total
