-- KEYS: stream, epoch, counter (one channel's, under one hash tag). ARGV: epoch candidate,
-- message JSON, size or '', MINID or '', ttl ms or ''. Numbers the message (n: one more than the
-- last), appends it, trims by size and by age, refreshes the ttl of the three keys, and answers
-- `{ epoch, n }`. The epoch is set with the stream (NX): a stream that expired starts a new one.
redis.call('SET', KEYS[2], ARGV[1], 'NX')
local n = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2], 'n', n)
if ARGV[3] ~= '' then redis.call('XTRIM', KEYS[1], 'MAXLEN', '=', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4]) end
if ARGV[5] ~= '' then
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[5]) end
end
return {redis.call('GET', KEYS[2]), n}
