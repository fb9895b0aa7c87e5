/**
 * Lua scripts of connection-state recovery in cluster mode. Keys (prefix `p`):
 *   p:rs:log          stream  every recoverable message, in the one order every node delivers
 *                             them: k=b (broadcast: r room, x except), k=t (to: u uuids, JSON),
 *                             k=x (session u moved to node n); d the encoded packet, bin '1'
 *   p:rs:tok:<token>  hash    a session's snapshot: u uuid, a attributes (JSON), r rooms (JSON),
 *                             s when it started (ms, Redis clock); expires unless refreshed
 * A take also moves the uuid in the directory's p:dir / p:conns:<node> (see directory.scripts.ts).
 * ARGV[1] is always the prefix.
 */

/** ARGV: p, token, previous token or '', uuid, attributes, rooms, ttl ms. */
export const SAVE = `
local p = ARGV[1]
local key = p .. ':rs:tok:' .. ARGV[2]
local started = redis.call('HGET', key, 's')
if ARGV[3] ~= '' then
  local previous = p .. ':rs:tok:' .. ARGV[3]
  started = started or redis.call('HGET', previous, 's')
  redis.call('DEL', previous)
end
if not started then
  local now = redis.call('TIME')
  started = now[1] .. string.format('%03d', math.floor(now[2] / 1000))
end
redis.call('HSET', key, 'u', ARGV[4], 'a', ARGV[5], 'r', ARGV[6], 's', started)
redis.call('PEXPIRE', key, ARGV[7])
return 1`;

/**
 * ARGV: p, maxlen, data, binary, uuid... Logs a message to the uuids that have a live holder;
 * returns the uuids that have none (nothing is logged when none has).
 */
export const LOG_TO = `
local p = ARGV[1]
local known, unknown = {}, {}
for i = 5, #ARGV do
  local owner = redis.call('HGET', p .. ':dir', ARGV[i])
  if owner and redis.call('EXISTS', p .. ':alive:' .. owner) == 1 then
    known[#known + 1] = ARGV[i]
  else
    unknown[#unknown + 1] = ARGV[i]
  end
end
if #known > 0 then
  redis.call('XADD', p .. ':rs:log', 'MAXLEN', '~', ARGV[2], '*',
    'k', 't', 'u', cjson.encode(known), 'd', ARGV[3], 'bin', ARGV[4])
end
return unknown`;

/**
 * ARGV: p, token, node, maxlen, offset. Takes the session of a token (single use): returns
 * { u, a, r, s, moved-at id }, or 'gap' when the client's offset is no longer in the log (nothing
 * is taken), or nil for an unknown or expired token. The uuid moves to `node` in the directory and
 * a k=x entry tells the node that held it to let it go.
 */
export const TAKE = `
local p = ARGV[1]
local key = p .. ':rs:tok:' .. ARGV[2]
local session = redis.call('HMGET', key, 'u', 'a', 'r', 's')
if not session[1] then return nil end
local log = p .. ':rs:log'
if ARGV[5] ~= '' and #redis.call('XRANGE', log, ARGV[5], ARGV[5]) == 0 then return 'gap' end
redis.call('DEL', key)
local uuid, node = session[1], ARGV[3]
local owner = redis.call('HGET', p .. ':dir', uuid)
if owner and owner ~= node then redis.call('SREM', p .. ':conns:' .. owner, uuid) end
redis.call('HSET', p .. ':dir', uuid, node)
redis.call('SADD', p .. ':conns:' .. node, uuid)
local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[4], '*', 'k', 'x', 'u', uuid, 'n', node)
return { session[1], session[2], session[3], session[4], id }`;
