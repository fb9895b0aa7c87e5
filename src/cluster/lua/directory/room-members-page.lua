-- ARGV: p, room, cursor, count. One page of the room's members held by live nodes: `HSCAN`
-- from `cursor` (about `count` entries), so no call grows with the room. Returns
-- `{ next cursor, uuids }`; cursor '0' ends the scan (a uuid may come twice: callers dedupe).
-- KEYS: p:dir, p:room:<room>. Found running: the liveness of the members' nodes.
local page = redis.call('HSCAN', KEYS[2], ARGV[3], 'COUNT', ARGV[4])
local members, live, seen = page[2], {}, {}
for i = 1, #members, 2 do
  local node = members[i + 1]
  if seen[node] == nil then seen[node] = alive(node) end
  if seen[node] then live[#live + 1] = members[i] end
end
return {page[1], live}
