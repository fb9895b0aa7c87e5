-- ARGV: p, node, uuid... Claims each uuid for the node; returns the ones a live node holds.
return claimFrom(ARGV[2], 3)
