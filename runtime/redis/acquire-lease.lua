--[[
  Takes the lease of one shard if it is free, expired, or already held by the
  caller, and grants it a new fencing epoch.

  Input:
    KEYS[1] lease key          hash {holder, epoch}, expires with the lease
    KEYS[2] epoch counter key  never expires, so epochs grow across expiries

    ARGV[1] holder token (node id)
    ARGV[2] lease duration in milliseconds

  Output:
    the new epoch (> 0) on success
    0 when another holder has the lease
]]
local rcall = redis.call

local holder = rcall("HGET", KEYS[1], "holder")
if holder and holder ~= ARGV[1] then
  return 0
end

local epoch = rcall("INCR", KEYS[2])
rcall("HSET", KEYS[1], "holder", ARGV[1], "epoch", epoch)
rcall("PEXPIRE", KEYS[1], ARGV[2])
return epoch
