--[[
  Registers or refreshes a live runtime node. Expiries use the Redis clock so
  that nodes with skewed clocks still agree on who is live.

  Input:
    KEYS[1] nodes key  sorted set nodeId → expiry (ms)

    ARGV[1] node id
    ARGV[2] time to live in milliseconds

  Output:
    the expiry written (ms, Redis clock)
]]
local rcall = redis.call

local time = rcall("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expiry = now + tonumber(ARGV[2])
rcall("ZADD", KEYS[1], expiry, ARGV[1])
-- Forget nodes that died long ago so the set does not grow with every restart.
rcall("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - 3600000)
return expiry
