-- ARGV: p, node, uuid, room... The node's connection joins the rooms; returns those it is new to.
-- KEYS: p:dir, p:members:<node>, p:rooms, then p:room:<room>, p:roomnodes:<room> of each room.
-- Found running: the liveness of a member's previous node.
local node, uuid, joined = ARGV[2], ARGV[3], {}
k.rooms = KEYS[3]
for i = 4, #ARGV do
  local at = 2 * (i - 4) + 4
  if addMember(node, KEYS[2], uuid, ARGV[i], KEYS[at], KEYS[at + 1]) then
    joined[#joined + 1] = ARGV[i]
  end
end
return joined
