-- KEYS: r:tok:<token>, then r:tok:<previous token> when there is one. ARGV: r (unused), token,
-- previous token or '', uuid, attributes, rooms, ttl ms, node, suspended ('1' once its socket
-- dropped: only then may another node take it while its node lives), requests (the rid window,
-- JSON, saved with a suspension; '' removes it).
local key = KEYS[1]
local started = redis.call('HGET', key, 's')
if ARGV[3] ~= '' then
  local previous = KEYS[2]
  started = started or redis.call('HGET', previous, 's')
  redis.call('DEL', previous)
end
if not started then
  local now = redis.call('TIME')
  started = now[1] .. string.format('%03d', math.floor(now[2] / 1000))
end
redis.call('HSET', key, 'u', ARGV[4], 'a', ARGV[5], 'r', ARGV[6], 's', started, 'n', ARGV[8], 'z', ARGV[9])
if ARGV[10] ~= '' then
  redis.call('HSET', key, 'q', ARGV[10])
else
  redis.call('HDEL', key, 'q')
end
redis.call('PEXPIRE', key, ARGV[7])
return 1
