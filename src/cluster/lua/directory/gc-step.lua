-- ARGV: p, batch. Drains about `batch` entries of one garbage set: each directory entry or room
-- membership still naming the set's node is removed, unless the node is alive and holds it again.
-- Returns { garbage sets left, 1 if the node is alive (2 if it is a parked owner, see ROOM_PARK),
-- then the (uuid, room) memberships removed }.
-- KEYS: p:dir, p:gc, p:gccursor, p:rooms. Found running (from p:gc): the garbage set, its node's
-- liveness and current sets, the room keys of its memberships.
local gc = KEYS[2]
k.rooms = KEYS[4]
local picked = redis.call('HRANDFIELD', gc, 1, 'WITHVALUES')
if #picked == 0 then return { 0, 0 } end
local garbage, kind, node = picked[1], string.sub(picked[2], 1, 1), string.sub(picked[2], 3)
local keep = alive(node)
-- SSCAN from a saved cursor, not SPOP: picking random members of a set that empties gets slow.
local cursors = KEYS[3]
local page = redis.call('SSCAN', garbage, redis.call('HGET', cursors, garbage) or '0', 'COUNT', ARGV[2])
local result = { 0, parked(node) and 2 or keep and 1 or 0 }
if kind == 'c' then
  local current = key('conns', node)
  for _, uuid in ipairs(page[2]) do
    if redis.call('HGET', dir, uuid) == node and not (keep and redis.call('SISMEMBER', current, uuid) == 1) then
      redis.call('HDEL', dir, uuid)
    end
  end
else
  local current = key('members', node)
  for _, e in ipairs(page[2]) do
    if not (keep and redis.call('SISMEMBER', current, e) == 1) then
      local uuid, room = split(e)
      if removeMember(node, uuid, room, key('room', room), key('roomnodes', room)) then
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
return result
