-- ARGV: p, node, uuid, room... A session moved to the node (resumed here, its first node handed
-- it over or saw it move) takes its rooms along: each entry another owner still holds (its first
-- node, that node's parked owner, or a dead node not yet collected) moves to this node without a
-- presence change. Returns the rooms it was absent from (a presence join: its leave was announced).
-- KEYS: p:dir, p:members:<node>, p:rooms, then p:room:<room>, p:roomnodes:<room> of each room.
local node, uuid, joined = ARGV[2], ARGV[3], {}
k.rooms = KEYS[3]
for i = 4, #ARGV do
  local at = 2 * (i - 4) + 4
  if addMember(node, KEYS[2], uuid, ARGV[i], KEYS[at], KEYS[at + 1], true) then
    joined[#joined + 1] = ARGV[i]
  end
end
return joined
