-- Standalone Redis. KEYS: r:log, d:dir. ARGV: d, maxlen, data, binary, uuid... Logs a message to
-- the uuids that have a live holder; returns the uuids that have none (nothing is logged when none
-- has). Found running: the liveness of each uuid's holder.
local known, unknown = unknownOf(ARGV[1], KEYS[2], 5)
if #known > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
    'k', 't', 'u', cjson.encode(known), 'd', ARGV[3], 'bin', ARGV[4])
end
return unknown
