"""Lua scripts that make each interview write one atomic, version-checked Redis round trip."""

from __future__ import annotations

# KEYS: header hash, turns list, pending list, de-dup tombstone, outbox set
# ARGV: expected version, header data, seen ids, ttl, message id, pending entries to drop,
#       outbox member ('' for none), number of turns to append, the turns, then (index, turn) pairs to replace.
# Returns {1, new version} | {0, current version} on a version conflict | {2, version} for a duplicate.
COMMIT = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then v = '0' end
if v ~= ARGV[1] then return {0, tonumber(v)} end
local mid = ARGV[5]
if mid ~= '' then
  local s = redis.call('HGET', KEYS[1], 's')
  if s and string.find(' ' .. s .. ' ', ' ' .. mid .. ' ', 1, true) then return {2, tonumber(v)} end
  if redis.call('EXISTS', KEYS[4]) == 1 then return {2, tonumber(v)} end
end
local nv = tonumber(v) + 1
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 's', ARGV[3])
redis.call('EXPIRE', KEYS[1], ttl)
local n = tonumber(ARGV[8])
if n > 0 then redis.call('RPUSH', KEYS[2], unpack(ARGV, 9, 8 + n)) end
local i = 9 + n
while i < #ARGV do
  redis.call('LSET', KEYS[2], tonumber(ARGV[i]), ARGV[i + 1])
  i = i + 2
end
if n > 0 or i > 9 + n then redis.call('EXPIRE', KEYS[2], ttl) end
local drop = tonumber(ARGV[6])
if drop > 0 then redis.call('LTRIM', KEYS[3], drop, -1) end
if ARGV[7] ~= '' then redis.call('SADD', KEYS[5], ARGV[7]) end
return {1, nv}
"""

# KEYS: header hash, turns list, pending list, de-dup tombstone, outbox set
# ARGV: expected version, tombstone ttl, outbox member
DELETE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then v = '0' end
if v ~= ARGV[1] then return {0, tonumber(v)} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[5], ARGV[3])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[4], '1', 'EX', tonumber(ARGV[2])) end
return {1, 0}
"""

# KEYS: header hash, pending list, de-dup tombstone
# ARGV: message id, entry (JSON), ttl, needle that identifies the message id inside an entry
# Returns 1 when stored, 0 when this message was already seen.
PUSH_PENDING = """
local s = redis.call('HGET', KEYS[1], 's')
if s and string.find(' ' .. s .. ' ', ' ' .. ARGV[1] .. ' ', 1, true) then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(items) do
  if string.find(item, ARGV[4], 1, true) then return 0 end
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
"""
