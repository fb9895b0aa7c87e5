/**
 * Lua scripts of the connection directory, each atomic on the Redis side. Keys (prefix `p`):
 *   p:dir            hash   uuid -> node id (who holds the connection)
 *   p:nodes          set    node ids that joined and have not been cleaned up
 *   p:alive:<node>   string the node's liveness, with a TTL its heartbeat refreshes
 *   p:conns:<node>   set    the uuids of one node (for count and cleanup)
 * A uuid whose node's liveness key has expired counts as free; its entries are removed lazily.
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
local function forget(node)
  local conns = p .. ':conns:' .. node
  for _, uuid in ipairs(redis.call('SMEMBERS', conns)) do
    if redis.call('HGET', dir, uuid) == node then redis.call('HDEL', dir, uuid) end
  end
  redis.call('DEL', conns)
end
local function sweep(node)
  for _, other in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    if other ~= node and not alive(other) then
      forget(other)
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
`;

/**
 * ARGV: p, node, ttl, uuid... (Re)joins: marks the node alive, forgets what it held before and
 * claims the given uuids; returns those a live node holds.
 */
export const JOIN = `${HELPERS}
local node = ARGV[2]
redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3])
redis.call('SADD', p .. ':nodes', node)
forget(node)
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
 * ARGV: p, node, ttl. Refreshes the node's liveness (0 if it had expired: the caller rejoins) and
 * cleans up after nodes that died without saying goodbye.
 */
export const HEARTBEAT = `${HELPERS}
local node = ARGV[2]
if not redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3], 'XX') then return 0 end
sweep(node)
return 1`;

/** ARGV: p, node. Goodbye: the node's uuids are released at once (and dead nodes' too). */
export const LEAVE = `${HELPERS}
local node = ARGV[2]
sweep(node)
forget(node)
redis.call('DEL', p .. ':alive:' .. node)
redis.call('SREM', p .. ':nodes', node)
return 1`;

/**
 * ARGV: p, uuid, message. Publishes \`message\` on the channel of the live node holding \`uuid\`;
 * returns how many subscribers got it (0: unknown uuid, dead node, or a node no longer listening).
 */
export const ROUTE = `${HELPERS}
local owner = redis.call('HGET', dir, ARGV[2])
if not owner or not alive(owner) then return 0 end
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

/** ARGV: p. Connections held by live nodes. */
export const COUNT = `${HELPERS}
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if alive(node) then total = total + redis.call('SCARD', p .. ':conns:' .. node) end
end
return total`;
