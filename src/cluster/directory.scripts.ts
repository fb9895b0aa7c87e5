/**
 * Lua scripts of the connection directory, each atomic on the Redis side. Keys (prefix `p`):
 *   p:dir            hash   uuid -> node id (who holds the connection)
 *   p:nodes          set    node ids that joined and have not been cleaned up
 *   p:alive:<node>   string the node's liveness, with a TTL its heartbeat refreshes
 *   p:conns:<node>   set    the uuids of one node (for count and cleanup)
 *   p:gc             hash   garbage set key -> "c:<node>" (uuids) or "m:<node>" (memberships):
 *                           sets a node no longer owns (it died or rejoined), drained a bounded
 *                           batch per call by GC_STEP
 *   p:gcseq          string counter naming the garbage sets
 *   p:gccursor       hash   garbage set key -> SSCAN cursor of its drain
 *   p:room:<room>    hash   uuid -> node: the room's members, cluster-wide
 *   p:roomnodes:<room> hash node -> how many of the room's members it holds
 *   p:rooms          set    rooms with members
 *   p:members:<node> set    the node's memberships, "<#uuid>:<uuid><room>" (for cleanup/resync)
 * A uuid whose node's liveness key has expired counts as free; its entries are removed lazily.
 * Every script does bounded work (a batch of uuids, or one step per node), so that none blocks
 * Redis for more than about a millisecond whatever the number of connections.
 * ARGV[1] is always the prefix (keys are built in the script: standalone Redis or Sentinel only).
 */

const HELPERS = `
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
`;

/**
 * ARGV: p, node, ttl, uuid... (Re)joins: marks the node alive, retires what it held before and
 * claims the given uuids; returns those a live node holds.
 */
export const JOIN = `${HELPERS}
local node = ARGV[2]
redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3])
redis.call('SADD', p .. ':nodes', node)
retire(node)
return claimFrom(node, 4)`;

/** ARGV: p, node, uuid... Claims each uuid for the node; returns the ones a live node holds. */
export const CLAIM_ALL = `${HELPERS}
return claimFrom(ARGV[2], 3)`;

/** ARGV: p, node, from, to. Claims \`to\` and releases \`from\`; 0 when a live node holds \`to\`. */
export const RENAME = `${HELPERS}
local node = ARGV[2]
if not claim(node, ARGV[4]) then return 0 end
release(node, ARGV[3])
return 1`;

/** ARGV: p, node, uuid. */
export const RELEASE = `${HELPERS}
release(ARGV[2], ARGV[3])
return 1`;

/**
 * ARGV: p, node, ttl, channel. Refreshes the node's liveness and retires nodes that died without a
 * goodbye. Returns { status, garbage sets left to drain, live nodes }: status 1 refreshed, 0 the liveness had
 * expired (the caller rejoins), -1 nobody listens on the node's channel (its subscription is
 * lost: the node is not refreshed, so it counts as dead until it re-subscribes and rejoins).
 */
export const HEARTBEAT = `${HELPERS}
local node = ARGV[2]
local listening = redis.call('PUBSUB', 'NUMSUB', ARGV[4])[2]
local status = 1
if listening == 0 then
  status = -1
elseif not redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3], 'XX') then
  status = 0
end
sweep(node)
return { status, redis.call('HLEN', p .. ':gc'), liveNodes() }`;

/**
 * ARGV: p, batch. Drains about \`batch\` entries of one garbage set: each directory entry or room
 * membership still naming the set's node is removed, unless the node is alive and holds it again.
 * Returns { garbage sets left, 1 if the node is alive, then the (uuid, room) memberships removed }.
 */
export const GC_STEP = `${HELPERS}
local gc = p .. ':gc'
local picked = redis.call('HRANDFIELD', gc, 1, 'WITHVALUES')
if #picked == 0 then return { 0, 0 } end
local garbage, kind, node = picked[1], string.sub(picked[2], 1, 1), string.sub(picked[2], 3)
local keep = alive(node)
-- SSCAN from a saved cursor, not SPOP: picking random members of a set that empties gets slow.
local cursors = p .. ':gccursor'
local page = redis.call('SSCAN', garbage, redis.call('HGET', cursors, garbage) or '0', 'COUNT', ARGV[2])
local result = { 0, keep and 1 or 0 }
if kind == 'c' then
  local current = p .. ':conns:' .. node
  for _, uuid in ipairs(page[2]) do
    if redis.call('HGET', dir, uuid) == node and not (keep and redis.call('SISMEMBER', current, uuid) == 1) then
      redis.call('HDEL', dir, uuid)
    end
  end
else
  local current = p .. ':members:' .. node
  for _, e in ipairs(page[2]) do
    if not (keep and redis.call('SISMEMBER', current, e) == 1) then
      local uuid, room = split(e)
      if removeMember(node, uuid, room) then
        result[#result + 1] = uuid
        result[#result + 1] = room
      end
    end
  end
end
if page[1] == '0' then
  -- UNLINK: the emptied set's memory (a large set is freed key by key) is freed off the main thread.
  redis.call('UNLINK', garbage)
  redis.call('HDEL', gc, garbage)
  redis.call('HDEL', cursors, garbage)
else
  redis.call('HSET', cursors, garbage, page[1])
end
result[1] = redis.call('HLEN', gc)
return result`;

/**
 * ARGV: p, node, uuid, room... The node's connection joins the rooms; returns those it is new to.
 */
export const ROOM_JOIN = `${HELPERS}
local node, uuid, joined = ARGV[2], ARGV[3], {}
for i = 4, #ARGV do
  if addMember(node, uuid, ARGV[i]) then joined[#joined + 1] = ARGV[i] end
end
return joined`;

/** ARGV: p, node, uuid, room... The node's connection leaves the rooms; returns those it left. */
export const ROOM_LEAVE = `${HELPERS}
local node, uuid, left = ARGV[2], ARGV[3], {}
for i = 4, #ARGV do
  redis.call('SREM', p .. ':members:' .. node, entry(uuid, ARGV[i]))
  if removeMember(node, uuid, ARGV[i]) then left[#left + 1] = ARGV[i] end
end
return left`;

/**
 * ARGV: p, node, uuid, room, uuid, room... Re-registers memberships (after a rejoin); returns the
 * pairs new to their room, flattened.
 */
export const ROOM_SYNC = `${HELPERS}
local node, joined = ARGV[2], {}
for i = 3, #ARGV - 1, 2 do
  if addMember(node, ARGV[i], ARGV[i + 1]) then
    joined[#joined + 1] = ARGV[i]
    joined[#joined + 1] = ARGV[i + 1]
  end
end
return joined`;

/** ARGV: p, room. Members held by live nodes. */
export const ROOM_SIZE = `${HELPERS}
local counts, total = redis.call('HGETALL', p .. ':roomnodes:' .. ARGV[2]), 0
for i = 1, #counts, 2 do
  if alive(counts[i]) then total = total + tonumber(counts[i + 1]) end
end
return total`;

/**
 * ARGV: p, room, cursor, count. One page of the room's members held by live nodes: `HSCAN`
 * from `cursor` (about `count` entries), so no call grows with the room. Returns
 * `{ next cursor, uuids }`; cursor '0' ends the scan (a uuid may come twice: callers dedupe).
 */
export const ROOM_MEMBERS_PAGE = `${HELPERS}
local page = redis.call('HSCAN', p .. ':room:' .. ARGV[2], ARGV[3], 'COUNT', ARGV[4])
local members, live, seen = page[2], {}, {}
for i = 1, #members, 2 do
  local node = members[i + 1]
  if seen[node] == nil then seen[node] = alive(node) end
  if seen[node] then live[#live + 1] = members[i] end
end
return {page[1], live}`;

/**
 * ARGV: p, cursor, count. One page of the rooms with a member on a live node: `SSCAN` of the
 * room set from `cursor` (about `count` rooms, each checked over the nodes holding members).
 * Returns `{ next cursor, rooms }`; cursor '0' ends the scan.
 */
export const ROOMS_PAGE = `${HELPERS}
local page = redis.call('SSCAN', p .. ':rooms', ARGV[2], 'COUNT', ARGV[3])
local live, seen = {}, {}
for _, room in ipairs(page[2]) do
  for _, node in ipairs(redis.call('HKEYS', p .. ':roomnodes:' .. room)) do
    if seen[node] == nil then seen[node] = alive(node) end
    if seen[node] then
      live[#live + 1] = room
      break
    end
  end
end
return {page[1], live}`;

/** ARGV: p, node. Goodbye: the node's uuids are released at once (dead nodes' are retired). */
export const LEAVE = `${HELPERS}
local node = ARGV[2]
sweep(node)
retire(node)
redis.call('DEL', p .. ':alive:' .. node)
redis.call('SREM', p .. ':nodes', node)
return redis.call('HLEN', p .. ':gc')`;

/**
 * ARGV: p, uuid, message. Publishes \`message\` on the channel of the live node holding \`uuid\`;
 * returns how many subscribers got it: -1 when no node holds the uuid, -2 when the node that
 * holds it is not alive (its liveness expired), 0 when its node is alive but no longer listening.
 */
export const ROUTE = `${HELPERS}
local owner = redis.call('HGET', dir, ARGV[2])
if not owner then return -1 end
if not alive(owner) then return -2 end
return redis.call('PUBLISH', p .. ':node:' .. owner, ARGV[3])`;

/**
 * ARGV: p, message, uuid... Publishes \`message\` once to each live node holding one of the uuids;
 * returns the node of each uuid ('' when none, or when its node no longer listens).
 */
export const ROUTE_LIST = `${HELPERS}
local owners, receivers = {}, {}
for i = 3, #ARGV do
  local owner = redis.call('HGET', dir, ARGV[i])
  if owner and alive(owner) then
    if receivers[owner] == nil then
      receivers[owner] = redis.call('PUBLISH', p .. ':node:' .. owner, ARGV[2])
    end
    if receivers[owner] > 0 then owners[i - 2] = owner else owners[i - 2] = '' end
  else
    owners[i - 2] = ''
  end
end
return owners`;

/**
 * ARGV: p, channel, message. Publishes to every node; returns { receivers, live nodes } so the
 * caller can tell a broadcast that some live node missed.
 */
export const PUBLISH_ALL = `${HELPERS}
local receivers = redis.call('PUBLISH', ARGV[2], ARGV[3])
return { receivers, liveNodes() }`;

/**
 * ARGV: p, room, channel, message, '1' to count every live node too. Publishes a room broadcast
 * on the room's channel; returns { receivers, live nodes holding members of the room, live nodes
 * (or -1 when not asked) }.
 */
export const PUBLISH_ROOM = `${HELPERS}
local receivers = redis.call('PUBLISH', ARGV[3], ARGV[4])
local live = 0
for _, node in ipairs(redis.call('HKEYS', p .. ':roomnodes:' .. ARGV[2])) do
  if alive(node) then live = live + 1 end
end
local all = -1
if ARGV[5] == '1' then all = liveNodes() end
return { receivers, live, all }`;

/** ARGV: p. Connections held by live nodes. */
export const COUNT = `${HELPERS}
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if alive(node) then total = total + redis.call('SCARD', p .. ':conns:' .. node) end
end
return total`;
