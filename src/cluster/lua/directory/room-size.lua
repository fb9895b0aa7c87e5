-- ARGV: p, room. Members held by live nodes.
-- KEYS: p:dir, p:roomnodes:<room>. Found running: the liveness of the room's nodes.
local counts, total = redis.call('HGETALL', KEYS[2]), 0
for i = 1, #counts, 2 do
  if alive(counts[i]) then total = total + tonumber(counts[i + 1]) end
end
return total
