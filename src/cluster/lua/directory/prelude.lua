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
-- A uuid whose node's liveness key has expired counts as free; its entries are removed lazily.
-- Every script does bounded work (a batch of uuids, or one step per node), so that none blocks
-- Redis for more than about a millisecond whatever the number of connections.
-- ARGV[1] is always the prefix (keys are built in the script: standalone Redis or Sentinel only).
--
-- This prelude comes first in every directory script: its helpers, on the prefix ARGV[1].
local p = ARGV[1]
local dir = p .. ':dir'
local function alive(node) return redis.call('EXISTS', p .. ':alive:' .. node) == 1 end
local function release(node, uuid)
  if redis.call('HGET', dir, uuid) == node then redis.call('HDEL', dir, uuid) end
  redis.call('SREM', p .. ':conns:' .. node, uuid)
end
-- Moves the node's uuid and membership sets aside for GC_STEP (O(1)); their entries stay until
-- drained.
local function retireSet(key, kind, node)
  if redis.call('EXISTS', key) == 1 then
    local garbage = p .. ':gc:' .. redis.call('INCR', p .. ':gcseq')
    redis.call('RENAME', key, garbage)
    redis.call('HSET', p .. ':gc', garbage, kind .. ':' .. node)
  end
end
local function retire(node)
  retireSet(p .. ':conns:' .. node, 'c', node)
  retireSet(p .. ':members:' .. node, 'm', node)
end
local function sweep(node)
  for _, other in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    if other ~= node and not alive(other) then
      retire(other)
      redis.call('SREM', p .. ':nodes', other)
    end
  end
end
local function claim(node, uuid)
  local owner = redis.call('HGET', dir, uuid)
  if owner and owner ~= node and alive(owner) then return false end
  redis.call('HSET', dir, uuid, node)
  redis.call('SADD', p .. ':conns:' .. node, uuid)
  return true
end
-- Claims ARGV[first..] for the node; returns the uuids a live node holds.
local function claimFrom(node, first)
  local taken = {}
  for i = first, #ARGV do
    if not claim(node, ARGV[i]) then taken[#taken + 1] = ARGV[i] end
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
local function uncount(node, room)
  if redis.call('HINCRBY', p .. ':roomnodes:' .. room, node, -1) <= 0 then
    redis.call('HDEL', p .. ':roomnodes:' .. room, node)
  end
end
-- Adds a member; true when it is new to the room (a presence join).
local function addMember(node, uuid, room)
  local key = p .. ':room:' .. room
  local old = redis.call('HGET', key, uuid)
  redis.call('SADD', p .. ':members:' .. node, entry(uuid, room))
  if old == node then return false end
  if old then uncount(old, room) end
  redis.call('HSET', key, uuid, node)
  redis.call('HINCRBY', p .. ':roomnodes:' .. room, node, 1)
  redis.call('SADD', p .. ':rooms', room)
  return not old or not alive(old)
end
-- Removes a member the node holds; true when it was one (a presence leave).
local function removeMember(node, uuid, room)
  local key = p .. ':room:' .. room
  if redis.call('HGET', key, uuid) ~= node then return false end
  redis.call('HDEL', key, uuid)
  uncount(node, room)
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', p .. ':rooms', room) end
  return true
end
local function liveNodes()
  local live = 0
  for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    if alive(node) then live = live + 1 end
  end
  return live
end
