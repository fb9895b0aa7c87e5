-- ARGV: p, node, uuid, room, uuid, room... Re-registers memberships (after a rejoin); returns the
-- pairs new to their room, flattened.
local node, joined = ARGV[2], {}
for i = 3, #ARGV - 1, 2 do
  if addMember(node, ARGV[i], ARGV[i + 1]) then
    joined[#joined + 1] = ARGV[i]
    joined[#joined + 1] = ARGV[i + 1]
  end
end
return joined
