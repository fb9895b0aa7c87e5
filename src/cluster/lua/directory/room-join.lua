-- ARGV: p, node, uuid, room... The node's connection joins the rooms; returns those it is new to.
local node, uuid, joined = ARGV[2], ARGV[3], {}
for i = 4, #ARGV do
  if addMember(node, uuid, ARGV[i]) then joined[#joined + 1] = ARGV[i] end
end
return joined
