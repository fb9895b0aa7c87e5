-- ARGV: p, room, channel, message, '1' to count every live node too. Publishes a room broadcast
-- on the room's channel; returns { receivers, live nodes holding members of the room, live nodes
-- (or -1 when not asked) }. A parked owner (see ROOM_PARK) is no node: it receives nothing.
-- KEYS: p:dir, p:roomnodes:<room>, p:nodes. Found running: each node's liveness.
k.nodes = KEYS[3]
local receivers = redis.call('PUBLISH', ARGV[3], ARGV[4])
local live = 0
for _, node in ipairs(redis.call('HKEYS', KEYS[2])) do
  if not parked(node) and alive(node) then live = live + 1 end
end
local all = -1
if ARGV[5] == '1' then all = liveNodes() end
return { receivers, live, all }
