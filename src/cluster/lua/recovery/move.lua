-- Redis Cluster, in the uuid's directory shard. KEYS: d:dir, d:conns:<to>. ARGV: d, uuid, to, from.
-- Moves a taken session's uuid to node `to`: 1, or 0 when a live node other than `from` ('' for
-- any) holds it. Run by the node that took the session, and by the node that held it when it reads
-- the k=x entry (with `from` itself), so that either one suffices.
local d, uuid, to, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- Found running: the liveness and uuid set of the uuid's holder.
if not movable(d, KEYS[1], uuid, to, from) then return 0 end
move(d, KEYS[1], KEYS[2], uuid, to)
return 1
