-- ARGV: p, uuid, message. Publishes `message` on the channel of the live node holding `uuid`;
-- returns how many subscribers got it: -1 when no node holds the uuid, -2 when the node that
-- holds it is not alive (its liveness expired), 0 when its node is alive but no longer listening.
-- KEYS: p:dir. Found running: the liveness of the uuid's node.
local owner = redis.call('HGET', dir, ARGV[2])
if not owner then return -1 end
if not alive(owner) then return -2 end
return redis.call('PUBLISH', p .. ':node:' .. owner, ARGV[3])
