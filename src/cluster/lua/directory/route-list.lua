-- ARGV: p, message, uuid... Publishes `message` once to each live node holding one of the uuids;
-- returns the node of each uuid ('' when none, or when its node no longer listens).
-- KEYS: p:dir. Found running: the liveness of the uuids' nodes.
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
return owners
