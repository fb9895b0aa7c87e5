-- ARGV: p, node, from, to. Claims `to` and releases `from`; 0 when a live node holds `to`.
-- KEYS: p:dir, p:conns:<node>. Found running: the liveness of `to`'s current owner.
local node = ARGV[2]
if not claim(node, KEYS[2], ARGV[4]) then return 0 end
release(node, KEYS[2], ARGV[3])
return 1
