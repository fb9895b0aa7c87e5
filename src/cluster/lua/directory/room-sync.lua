-- ARGV: p, node, uuid, room, uuid, room... Re-registers memberships (after a rejoin); returns the
-- pairs new to their room, flattened.
-- KEYS: p:dir, p:members:<node>, p:rooms, then p:room:<room>, p:roomnodes:<room> of each pair.
-- Found running: the liveness of a member's previous node.
local node, joined = ARGV[2], {}
k.rooms = KEYS[3]
for i = 3, #ARGV - 1, 2 do
  local at = i + 1
  if addMember(node, KEYS[2], ARGV[i], ARGV[i + 1], KEYS[at], KEYS[at + 1]) then
    joined[#joined + 1] = ARGV[i]
    joined[#joined + 1] = ARGV[i + 1]
  end
end
return joined
