-- ARGV: p, node, uuid... Claims each uuid for the node; returns the ones a live node holds.
-- KEYS: p:dir, p:conns:<node>. Found running: the liveness of the uuids' current owners.
return claimFrom(ARGV[2], KEYS[2], 3)
