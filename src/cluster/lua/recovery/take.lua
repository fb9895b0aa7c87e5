-- KEYS: r:tok:<token>, r:log, and with `d` also d:dir, d:conns:<node>. ARGV: r, token, node,
-- maxlen, offset, d. Takes the session of a token (single use): returns { u, a, r, s, moved-at id,
-- n, q ('' when none) }, or 'gap' when the client's offset is no longer in the log (nothing is taken), or nil for
-- an unknown or expired token. A k=x entry tells the node that held it (f, the snapshot's n) to
-- let it go. With `d` (standalone Redis) the uuid also moves to `node` in the directory, in the
-- same step, unless another connection holds it (then nothing is taken: nil); with `d` empty
-- (Redis Cluster) the caller moves it with MOVE.
local key, log = KEYS[1], KEYS[2]
local session = redis.call('HMGET', key, 'u', 'a', 'r', 's', 'n', 'q')
if not session[1] then return nil end
if ARGV[5] ~= '' and #redis.call('XRANGE', log, ARGV[5], ARGV[5]) == 0 then return 'gap' end
local uuid, node, d = session[1], ARGV[3], ARGV[6]
local from = session[5] or ''
-- Found running: the liveness and uuid set of the uuid's holder.
if d ~= '' then
  if not movable(d, KEYS[3], uuid, node, from) then return nil end
  move(d, KEYS[3], KEYS[4], uuid, node)
end
redis.call('DEL', key)
local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[4], '*', 'k', 'x', 'u', uuid, 'n', node, 'f', from)
return { session[1], session[2], session[3], session[4], id, from, session[6] or '' }
