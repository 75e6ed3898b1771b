--[[
  Gives a lease up, only if the caller holds it at the same epoch (a stale
  holder must never delete its successor's lease). The epoch counter stays.

  Input:
    KEYS[1] lease key  hash {holder, epoch}

    ARGV[1] holder token (node id)
    ARGV[2] epoch of the caller's grant

  Output:
    1 released
    0 not held by this holder/epoch (nothing changed)
]]
local rcall = redis.call

local lease = rcall("HMGET", KEYS[1], "holder", "epoch")
if lease[1] == ARGV[1] and lease[2] == ARGV[2] then
  rcall("DEL", KEYS[1])
  return 1
end
return 0
