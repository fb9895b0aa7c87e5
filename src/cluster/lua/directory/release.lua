-- ARGV: p, node, uuid.
-- KEYS: p:dir, p:conns:<node>.
release(ARGV[2], KEYS[2], ARGV[3])
return 1
