-- ARGV: p, node, uuid.
release(ARGV[2], ARGV[3])
return 1
