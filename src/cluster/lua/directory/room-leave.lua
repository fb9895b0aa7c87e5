-- ARGV: p, node, uuid, room... The node's connection leaves the rooms; returns those it left.
-- KEYS: p:dir, p:members:<node>, p:rooms, then p:room:<room>, p:roomnodes:<room> of each room.
local node, uuid, left = ARGV[2], ARGV[3], {}
k.rooms = KEYS[3]
for i = 4, #ARGV do
  local at = 2 * (i - 4) + 4
  redis.call('SREM', KEYS[2], entry(uuid, ARGV[i]))
  if removeMember(node, uuid, ARGV[i], KEYS[at], KEYS[at + 1]) then left[#left + 1] = ARGV[i] end
end
return left
