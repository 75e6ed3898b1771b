--[[
  Lists the runtime nodes whose heartbeat has not expired, by the Redis clock.

  Input:
    KEYS[1] nodes key  sorted set nodeId → expiry (ms)

  Output:
    array of node ids (unordered; the caller sorts)
]]
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return redis.call("ZRANGEBYSCORE", KEYS[1], "(" .. now, "+inf")
