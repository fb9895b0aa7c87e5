-- ARGV: p, cursor, count. One page of the rooms with a member on a live node: `SSCAN` of the
-- room set from `cursor` (about `count` rooms, each checked over the nodes holding members).
-- Returns `{ next cursor, rooms }`; cursor '0' ends the scan.
-- KEYS: p:dir, p:rooms. Found running (from p:rooms): each room's p:roomnodes:<room>, the
-- liveness of its nodes.
local page = redis.call('SSCAN', KEYS[2], ARGV[2], 'COUNT', ARGV[3])
local live, seen = {}, {}
for _, room in ipairs(page[2]) do
  for _, node in ipairs(redis.call('HKEYS', key('roomnodes', room))) do
    if seen[node] == nil then seen[node] = alive(node) end
    if seen[node] then
      live[#live + 1] = room
      break
    end
  end
end
return {page[1], live}
