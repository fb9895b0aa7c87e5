-- ARGV: p, node, uuid, room... The node's connection leaves the rooms; returns those it left.
local node, uuid, left = ARGV[2], ARGV[3], {}
for i = 4, #ARGV do
  redis.call('SREM', p .. ':members:' .. node, entry(uuid, ARGV[i]))
  if removeMember(node, uuid, ARGV[i]) then left[#left + 1] = ARGV[i] end
end
return left
