-- Lua scripts of the connection directory, each atomic on the Redis side. Keys (prefix `p`):
--   p:dir            hash   uuid -> node id (who holds the connection)
--   p:nodes          set    node ids that joined and have not been cleaned up
--   p:alive:<node>   string the node's liveness, with a TTL its heartbeat refreshes
--   p:conns:<node>   set    the uuids of one node (for count and cleanup)
--   p:gc             hash   garbage set key -> "c:<node>" (uuids) or "m:<node>" (memberships):
--                           sets a node no longer owns (it died or rejoined), drained a bounded
--                           batch per call by GC_STEP
--   p:gcseq          string counter naming the garbage sets
--   p:gccursor       hash   garbage set key -> SSCAN cursor of its drain
--   p:room:<room>    hash   uuid -> node: the room's members, cluster-wide
--   p:roomnodes:<room> hash node -> how many of the room's members it holds
--   p:rooms          set    rooms with members
--   p:members:<node> set    the node's memberships, "<#uuid>:<uuid><room>" (for cleanup/resync)
--   p:parked         set    parked owners "~<node>": memberships of sessions a node handed over
--                           (ROOM_PARK) wait there, listed as members, until a node adopts them
--                           (ROOM_ADOPT) or p:alive:~<node> expires (then they leave, via GC_STEP)
-- A uuid whose node's liveness key has expired counts as free; its entries are removed lazily.
-- Every script does bounded work (a batch of uuids, or one step per node), so that none blocks
-- Redis for more than about a millisecond whatever the number of connections.
-- KEYS: every key known before the call, KEYS[1] always p:dir (each script's header lists its
-- own); the keys a script finds while it runs (a node id read from p:nodes, p:dir or a room, a
-- garbage set named by p:gc) cannot be declared and are built from the prefix, ARGV[1]. On Redis
-- Cluster every key of a shard is under one hash tag ({p:i}), so those stay in the declared slot.
--
-- This prelude comes first in every directory script. `k` holds the fixed keys the script
-- declared (it fills it first): a helper needing one the script did not declare fails loudly.
local p = ARGV[1]
local dir = KEYS[1]
local k = {}
-- A key found while the script runs: p:<kind>:<name>.
local function key(kind, name) return p .. ':' .. kind .. ':' .. name end
local function alive(node) return redis.call('EXISTS', key('alive', node)) == 1 end
local function release(node, conns, uuid)
  if redis.call('HGET', dir, uuid) == node then redis.call('HDEL', dir, uuid) end
  redis.call('SREM', conns, uuid)
end
-- Moves the node's uuid and membership sets aside for GC_STEP (O(1)); their entries stay until
-- drained. The garbage set's name comes from a counter (p:gc:<n>), so it is not declared.
local function retireSet(set, kind, node)
  if redis.call('EXISTS', set) == 1 then
    local garbage = p .. ':gc:' .. redis.call('INCR', k.gcseq)
    redis.call('RENAME', set, garbage)
    redis.call('HSET', k.gc, garbage, kind .. ':' .. node)
  end
end
local function retire(node, conns, members)
  retireSet(conns, 'c', node)
  retireSet(members, 'm', node)
end
-- Retires the nodes other than `node` whose liveness expired (their keys found in p:nodes).
local function sweep(node)
  for _, other in ipairs(redis.call('SMEMBERS', k.nodes)) do
    if other ~= node and not alive(other) then
      retire(other, key('conns', other), key('members', other))
      redis.call('SREM', k.nodes, other)
    end
  end
end
-- Retires the parked owners whose liveness expired (their memberships then leave in GC_STEP).
local function sweepParked()
  for _, owner in ipairs(redis.call('SMEMBERS', k.parked)) do
    if not alive(owner) then
      retireSet(key('members', owner), 'm', owner)
      redis.call('SREM', k.parked, owner)
    end
  end
end
-- A parked owner ("~<node>", see p:parked) holds members, not connections: it receives nothing.
local function parked(node) return string.sub(node, 1, 1) == '~' end
local function claim(node, conns, uuid)
  local owner = redis.call('HGET', dir, uuid)
  if owner and owner ~= node and alive(owner) then return false end
  redis.call('HSET', dir, uuid, node)
  redis.call('SADD', conns, uuid)
  return true
end
-- Claims ARGV[first..] for the node; returns the uuids a live node holds.
local function claimFrom(node, conns, first)
  local taken = {}
  for i = first, #ARGV do
    if not claim(node, conns, ARGV[i]) then taken[#taken + 1] = ARGV[i] end
  end
  return taken
end
-- Memberships: an entry names the uuid and the room without a separator either could contain.
local function entry(uuid, room) return #uuid .. ':' .. uuid .. room end
local function split(e)
  local colon = string.find(e, ':', 1, true)
  local n = tonumber(string.sub(e, 1, colon - 1))
  return string.sub(e, colon + 1, colon + n), string.sub(e, colon + n + 1)
end
local function uncount(counts, node)
  if redis.call('HINCRBY', counts, node, -1) <= 0 then redis.call('HDEL', counts, node) end
end
-- Adds a member (`members`: the node's membership set, `members[room]`, `counts`: the room's
-- keys); true when it is new to the room (a presence join). `adopted`: the member moved here with
-- its session, so an entry any other owner still holds (alive, parked, or dead and not yet
-- collected, which then announces no leave) is taken over quietly: a join only when there is none.
local function addMember(node, members, uuid, room, roomKey, counts, adopted)
  local old = redis.call('HGET', roomKey, uuid)
  redis.call('SADD', members, entry(uuid, room))
  if old == node then return false end
  if old then uncount(counts, old) end
  redis.call('HSET', roomKey, uuid, node)
  redis.call('HINCRBY', counts, node, 1)
  redis.call('SADD', k.rooms, room)
  return not old or (not adopted and not alive(old))
end
-- Removes a member the node holds; true when it was one (a presence leave).
local function removeMember(node, uuid, room, roomKey, counts)
  if redis.call('HGET', roomKey, uuid) ~= node then return false end
  redis.call('HDEL', roomKey, uuid)
  uncount(counts, node)
  if redis.call('EXISTS', roomKey) == 0 then redis.call('SREM', k.rooms, room) end
  return true
end
local function liveNodes()
  local live = 0
  for _, node in ipairs(redis.call('SMEMBERS', k.nodes)) do
    if alive(node) then live = live + 1 end
  end
  return live
end
