-- Lua scripts of connection-state recovery in cluster mode. Keys (recovery prefix `r`: `p:rs` on
-- a standalone Redis, `{p:rs}` on Redis Cluster, so that every recovery key is in one slot):
--   r:log          stream  every recoverable message, in the one order every node delivers
--                          them: k=b (broadcast: r room, x except), k=t (to: u uuids, JSON),
--                          k=x (session u moved from node f to node n), k=q (the request i of
--                          session u, run on node n, settled after its session left: d its
--                          ack, none when too big to keep); d the encoded packet, bin '1'
--   r:tok:<token>  hash    a session's snapshot: u uuid, a attributes (JSON), r rooms (JSON),
--                          s when it started (ms, Redis clock), n the node that saved it,
--                          z '1' once suspended, q its rid window (JSON, saved with a
--                          suspension, see request.outcomes.ts); expires unless refreshed
-- A taken session's uuid also moves in the directory (`d:dir` / `d:conns:<node>`, directory
-- prefix `d`, see ../directory/prelude.lua): inside TAKE on a standalone Redis (one atomic step), with
-- MOVE in the uuid's directory shard on Redis Cluster (a second step, see RedisRecoveryStore.take).
-- Every script declares the keys known before the call (its header lists them); a uuid holder's
-- keys in the directory are found while it runs. On Redis Cluster each script's keys are in one
-- slot: the recovery ones under {p:rs}, the directory ones under the uuid's shard tag.
--
-- This prelude comes first in LOG_TO, UNKNOWN, TAKE and MOVE.
-- Directory helpers. `movable(d, uuid, to, from)`: the uuid may move to node `to` unless a live
-- node other than `from` (the node that held the session; '' for any) and `to` holds it: the uuid
-- was claimed by another connection after its holder died. (`to` itself holding it is either the
-- old node's MOVE having run first, or a conflict only `to` can see: its pool has the uuid.)
-- `move` moves the entry and the conns sets.
--
-- `dir` is the declared d:dir; a holder's liveness and uuid set (d:alive:<node>, d:conns:<node>)
-- are found while the script runs, from the directory prefix `d`.
local function alive(d, node) return redis.call('EXISTS', d .. ':alive:' .. node) == 1 end
local function movable(d, dir, uuid, to, from)
  local owner = redis.call('HGET', dir, uuid)
  return not owner or owner == to or from == '' or owner == from or not alive(d, owner)
end
-- `toConns`: the declared d:conns:<to>.
local function move(d, dir, toConns, uuid, to)
  local owner = redis.call('HGET', dir, uuid)
  if owner and owner ~= to then redis.call('SREM', d .. ':conns:' .. owner, uuid) end
  redis.call('HSET', dir, uuid, to)
  redis.call('SADD', toConns, uuid)
end
-- The uuids among ARGV[first..] that no live node holds.
local function unknownOf(d, dir, first)
  local known, unknown = {}, {}
  for i = first, #ARGV do
    local owner = redis.call('HGET', dir, ARGV[i])
    if owner and alive(d, owner) then
      known[#known + 1] = ARGV[i]
    else
      unknown[#unknown + 1] = ARGV[i]
    end
  end
  return known, unknown
end
