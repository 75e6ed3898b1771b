--[[
  Extends a lease, only if the caller still holds it at the same epoch.

  Input:
    KEYS[1] lease key  hash {holder, epoch}

    ARGV[1] holder token (node id)
    ARGV[2] epoch of the caller's grant
    ARGV[3] lease duration in milliseconds

  Output:
    1 renewed
    0 the lease expired or belongs to another holder/epoch
]]
local rcall = redis.call

local lease = rcall("HMGET", KEYS[1], "holder", "epoch")
if lease[1] == ARGV[1] and lease[2] == ARGV[2] then
  rcall("PEXPIRE", KEYS[1], ARGV[3])
  return 1
end
return 0
