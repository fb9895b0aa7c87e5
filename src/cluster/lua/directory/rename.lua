-- ARGV: p, node, from, to. Claims `to` and releases `from`; 0 when a live node holds `to`.
local node = ARGV[2]
if not claim(node, ARGV[4]) then return 0 end
release(node, ARGV[3])
return 1
