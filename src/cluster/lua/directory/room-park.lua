-- ARGV: p, node, ttl, uuid, room... The node lets a session's memberships go without a presence
-- change (it handed the session over at shutdown, or the session moved to another node): each
-- entry the node holds passes to its parked owner "~<node>", listed as a member while it lives,
-- `ttl` ms (the session's maxDisconnection) after its latest park. The node that resumes the
-- session takes them over (ROOM_ADOPT); those left when the parked owner expires are retired by a
-- heartbeat and leave through GC_STEP (reason 'disconnected'). Returns how many were parked.
-- KEYS: p:dir, p:members:<node>, p:members:~<node>, p:alive:~<node>, p:parked, then
-- p:room:<room>, p:roomnodes:<room> of each room.
local node, uuid = ARGV[2], ARGV[4]
local owner, count = '~' .. node, 0
for i = 5, #ARGV do
  local at = 2 * (i - 5) + 6
  local e = entry(uuid, ARGV[i])
  redis.call('SREM', KEYS[2], e)
  if redis.call('HGET', KEYS[at], uuid) == node then
    redis.call('HSET', KEYS[at], uuid, owner)
    uncount(KEYS[at + 1], node)
    redis.call('HINCRBY', KEYS[at + 1], owner, 1)
    redis.call('SADD', KEYS[3], e)
    count = count + 1
  end
end
if count > 0 then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
  redis.call('SADD', KEYS[5], owner)
end
return count
