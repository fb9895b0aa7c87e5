-- Redis Cluster, in the uuid's directory shard. KEYS: d:dir. ARGV: d, uuid, to, from. Moves a
-- taken session's uuid to node `to`: 1, or 0 when a live node other than `from` ('' for any)
-- holds it. Run by the node that took the session, and by the node that held it when it reads
-- the k=x entry (with `from` itself), so that either one suffices.
local d, uuid, to, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if not movable(d, uuid, to, from) then return 0 end
move(d, uuid, to)
return 1
