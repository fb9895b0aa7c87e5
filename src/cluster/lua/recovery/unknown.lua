-- Redis Cluster, in one directory shard. KEYS: d:dir. ARGV: d, uuid... The uuids no live node
-- holds (the caller then logs the message to the others with XADD in the recovery slot).
-- Found running: the liveness of each uuid's holder.
local _, unknown = unknownOf(ARGV[1], KEYS[1], 2)
return unknown
