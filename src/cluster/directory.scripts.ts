/**
 * Lua scripts of the connection directory, each atomic on the Redis side. Keys (prefix `p`):
 *   p:dir            hash   uuid -> node id (who holds the connection)
 *   p:nodes          set    node ids that joined and have not been cleaned up
 *   p:alive:<node>   string the node's liveness, with a TTL its heartbeat refreshes
 *   p:conns:<node>   set    the uuids of one node (for count and cleanup)
 *   p:gc             hash   garbage set key -> node: uuid sets a node no longer owns (it died or
 *                           rejoined), drained a bounded batch per call by GC_STEP
 *   p:gcseq          string counter naming the garbage sets
 *   p:gccursor       hash   garbage set key -> SSCAN cursor of its drain
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
-- Moves the node's uuid set aside for GC_STEP (O(1)); its directory entries stay until drained.
local function retire(node)
  local conns = p .. ':conns:' .. node
  if redis.call('EXISTS', conns) == 1 then
    local garbage = p .. ':gc:' .. redis.call('INCR', p .. ':gcseq')
    redis.call('RENAME', conns, garbage)
    redis.call('HSET', p .. ':gc', garbage, node)
  end
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
 * ARGV: p, batch. Drains up to \`batch\` uuids of one garbage set: each directory entry still
 * naming the set's node is removed, unless the node is alive and holds the uuid again. Returns how
 * many garbage sets are left.
 */
export const GC_STEP = `${HELPERS}
local gc = p .. ':gc'
local picked = redis.call('HRANDFIELD', gc, 1, 'WITHVALUES')
if #picked == 0 then return 0 end
local garbage, node = picked[1], picked[2]
local current = p .. ':conns:' .. node
local keep = alive(node)
-- SSCAN from a saved cursor, not SPOP: picking random members of a set that empties gets slow.
local cursors = p .. ':gccursor'
local page = redis.call('SSCAN', garbage, redis.call('HGET', cursors, garbage) or '0', 'COUNT', ARGV[2])
for _, uuid in ipairs(page[2]) do
  if redis.call('HGET', dir, uuid) == node and not (keep and redis.call('SISMEMBER', current, uuid) == 1) then
    redis.call('HDEL', dir, uuid)
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
return redis.call('HLEN', gc)`;

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
 * returns how many subscribers got it: -1 when no live node holds the uuid, 0 when its node is
 * alive but no longer listening.
 */
export const ROUTE = `${HELPERS}
local owner = redis.call('HGET', dir, ARGV[2])
if not owner or not alive(owner) then return -1 end
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

/** ARGV: p. Connections held by live nodes. */
export const COUNT = `${HELPERS}
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if alive(node) then total = total + redis.call('SCARD', p .. ':conns:' .. node) end
end
return total`;
