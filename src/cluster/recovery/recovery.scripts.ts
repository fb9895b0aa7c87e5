/**
 * Lua scripts of connection-state recovery in cluster mode. Keys (recovery prefix `r`: `p:rs` on
 * a standalone Redis, `{p:rs}` on Redis Cluster, so that every recovery key is in one slot):
 *   r:log          stream  every recoverable message, in the one order every node delivers
 *                          them: k=b (broadcast: r room, x except), k=t (to: u uuids, JSON),
 *                          k=x (session u moved from node f to node n); d the encoded packet,
 *                          bin '1'
 *   r:tok:<token>  hash    a session's snapshot: u uuid, a attributes (JSON), r rooms (JSON),
 *                          s when it started (ms, Redis clock), n the node that saved it;
 *                          expires unless refreshed
 * A taken session's uuid also moves in the directory (`d:dir` / `d:conns:<node>`, directory
 * prefix `d`, see directory.scripts.ts): inside TAKE on a standalone Redis (one atomic step), with
 * MOVE in the uuid's directory shard on Redis Cluster (a second step, see RedisRecoveryStore.take).
 * Every script names a key of the slot it runs on (KEYS[1]) so that Redis Cluster routes it; the
 * other keys it touches are built from that key's prefix, in the same slot.
 */

/**
 * Directory helpers. `movable(d, uuid, to, from)`: the uuid may move to node `to` unless a live
 * node other than `from` (the node that held the session; '' for any) and `to` holds it: the uuid
 * was claimed by another connection after its holder died. (`to` itself holding it is either the
 * old node's MOVE having run first, or a conflict only `to` can see: its pool has the uuid.)
 * `move` moves the entry and the conns sets.
 */
const DIRECTORY = `
local function alive(d, node) return redis.call('EXISTS', d .. ':alive:' .. node) == 1 end
local function movable(d, uuid, to, from)
  local owner = redis.call('HGET', d .. ':dir', uuid)
  return not owner or owner == to or from == '' or owner == from or not alive(d, owner)
end
local function move(d, uuid, to)
  local owner = redis.call('HGET', d .. ':dir', uuid)
  if owner and owner ~= to then redis.call('SREM', d .. ':conns:' .. owner, uuid) end
  redis.call('HSET', d .. ':dir', uuid, to)
  redis.call('SADD', d .. ':conns:' .. to, uuid)
end
-- The uuids among ARGV[first..] that no live node holds.
local function unknownOf(d, first)
  local known, unknown = {}, {}
  for i = first, #ARGV do
    local owner = redis.call('HGET', d .. ':dir', ARGV[i])
    if owner and alive(d, owner) then
      known[#known + 1] = ARGV[i]
    else
      unknown[#unknown + 1] = ARGV[i]
    end
  end
  return known, unknown
end
`;

/**
 * KEYS: r:tok:<token>. ARGV: r, token, previous token or '', uuid, attributes, rooms, ttl ms, node,
 * suspended ('1' once its socket dropped: only then may another node take it while its node lives).
 */
export const SAVE = `
local r = ARGV[1]
local key = KEYS[1]
local started = redis.call('HGET', key, 's')
if ARGV[3] ~= '' then
  local previous = r .. ':tok:' .. ARGV[3]
  started = started or redis.call('HGET', previous, 's')
  redis.call('DEL', previous)
end
if not started then
  local now = redis.call('TIME')
  started = now[1] .. string.format('%03d', math.floor(now[2] / 1000))
end
redis.call('HSET', key, 'u', ARGV[4], 'a', ARGV[5], 'r', ARGV[6], 's', started, 'n', ARGV[8], 'z', ARGV[9])
redis.call('PEXPIRE', key, ARGV[7])
return 1`;

/**
 * Standalone Redis. KEYS: r:log. ARGV: d, maxlen, data, binary, uuid... Logs a message to the
 * uuids that have a live holder; returns the uuids that have none (nothing is logged when none
 * has).
 */
export const LOG_TO = `${DIRECTORY}
local known, unknown = unknownOf(ARGV[1], 5)
if #known > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
    'k', 't', 'u', cjson.encode(known), 'd', ARGV[3], 'bin', ARGV[4])
end
return unknown`;

/**
 * Redis Cluster, in one directory shard. KEYS: d:dir. ARGV: d, uuid... The uuids no live node
 * holds (the caller then logs the message to the others with XADD in the recovery slot).
 */
export const UNKNOWN = `${DIRECTORY}
local _, unknown = unknownOf(ARGV[1], 2)
return unknown`;

/**
 * KEYS: r:tok:<token>, r:log. ARGV: r, token, node, maxlen, offset, d. Takes the session of a
 * token (single use): returns { u, a, r, s, moved-at id, n }, or 'gap' when the client's offset
 * is no longer in the log (nothing is taken), or nil for an unknown or expired token. A k=x entry
 * tells the node that held it (f, the snapshot's n) to let it go. With `d` (standalone Redis) the uuid also moves to
 * `node` in the directory, in the same step, unless another connection holds it (then nothing is
 * taken: nil); with `d` empty (Redis Cluster) the caller moves it with MOVE.
 */
export const TAKE = `${DIRECTORY}
local key, log = KEYS[1], KEYS[2]
local session = redis.call('HMGET', key, 'u', 'a', 'r', 's', 'n')
if not session[1] then return nil end
if ARGV[5] ~= '' and #redis.call('XRANGE', log, ARGV[5], ARGV[5]) == 0 then return 'gap' end
local uuid, node, d = session[1], ARGV[3], ARGV[6]
local from = session[5] or ''
if d ~= '' then
  if not movable(d, uuid, node, from) then return nil end
  move(d, uuid, node)
end
redis.call('DEL', key)
local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[4], '*', 'k', 'x', 'u', uuid, 'n', node, 'f', from)
return { session[1], session[2], session[3], session[4], id, from }`;

/**
 * Redis Cluster, in the uuid's directory shard. KEYS: d:dir. ARGV: d, uuid, to, from. Moves a
 * taken session's uuid to node \`to\`: 1, or 0 when a live node other than \`from\` ('' for any)
 * holds it. Run by the node that took the session, and by the node that held it when it reads
 * the k=x entry (with \`from\` itself), so that either one suffices.
 */
export const MOVE = `${DIRECTORY}
local d, uuid, to, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if not movable(d, uuid, to, from) then return 0 end
move(d, uuid, to)
return 1`;
