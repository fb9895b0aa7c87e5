-- KEYS: stream, epoch, counter (one channel's). ARGV: MINID or '', since n or '', limit. Trims
-- what is older than MINID, then answers `{ epoch or '', last n, kept, entries newest first }`:
-- messages are numbered without gaps, so the kept ones are the last `kept` numbers and "after n"
-- is the last `last - n` entries (none when n is the last; all kept ones when n is older).
if ARGV[1] ~= '' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1]) end
local epoch = redis.call('GET', KEYS[2])
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local kept = redis.call('XLEN', KEYS[1])
local count = tonumber(ARGV[3])
if ARGV[2] ~= '' then count = math.min(kept, last - tonumber(ARGV[2])) end
local entries = {}
if count > 0 then entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', count) end
return {epoch or '', last, kept, entries}
