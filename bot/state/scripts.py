"""Lua scripts that make each interview write one atomic, version-checked Redis round trip.

An interview is one Redis list: element 0 is the header ``version \\x1f seen-ids \\x1f json``,
the rest are its turns. One key per interview keeps Redis's per-key overhead paid once.
"""

from __future__ import annotations

_READ_HEADER = """
local h = redis.call('LINDEX', KEYS[1], 0)
local v, seen = '0', ''
if h then
  local a = string.find(h, '\\31', 1, true)
  local b = string.find(h, '\\31', a + 1, true)
  v, seen = string.sub(h, 1, a - 1), string.sub(h, a + 1, b - 1)
end
local function already(mid)
  if string.find(' ' .. seen .. ' ', ' ' .. mid .. ' ', 1, true) then return true end
  return redis.call('EXISTS', KEYS[3]) == 1
end
"""

# KEYS: interview list, pending list, de-dup tombstone, outbox set
# ARGV: expected version, header json, seen ids, ttl, message id, pending entries to drop,
#       outbox member, outbox action ('add': completed, to deliver; 'done': delivered, so drop the
#       turns and leave the header as an end marker; '': neither),
#       the version to give a new interview (random, so a version never repeats after a delete
#       and a stale cached header can never match a later interview), number of turns to append,
#       the turns, then (index, turn) pairs to replace.
# Returns {1, new version} | {0, current version} on a version conflict | {2, version} for a duplicate.
COMMIT = (
    _READ_HEADER
    + """
if v ~= ARGV[1] then return {0, tonumber(v)} end
if ARGV[5] ~= '' and already(ARGV[5]) then return {2, tonumber(v)} end
local nv = tonumber(v) + 1
if not h then nv = tonumber(ARGV[9]) end
local header = nv .. '\\31' .. ARGV[3] .. '\\31' .. ARGV[2]
if h then redis.call('LSET', KEYS[1], 0, header) else redis.call('RPUSH', KEYS[1], header) end
if ARGV[8] == 'done' then
  redis.call('LTRIM', KEYS[1], 0, 0)
  redis.call('SREM', KEYS[4], ARGV[7])
end
local n = tonumber(ARGV[10])
if n > 0 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 11, 10 + n)) end
local i = 11 + n
while i < #ARGV do
  redis.call('LSET', KEYS[1], tonumber(ARGV[i]) + 1, ARGV[i + 1])
  i = i + 2
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
local drop = tonumber(ARGV[6])
if drop > 0 then redis.call('LTRIM', KEYS[2], drop, -1) end
if ARGV[8] == 'add' then
  redis.call('SADD', KEYS[4], ARGV[7])
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[4]))
end
return {1, nv}
"""
)

# KEYS: interview list, pending list, de-dup tombstone, outbox set
# ARGV: expected version, tombstone ttl, outbox member
DELETE = (
    _READ_HEADER
    + """
if v ~= ARGV[1] then return {0, tonumber(v)} end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[4], ARGV[3])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[3], '1', 'EX', tonumber(ARGV[2])) end
return {1, 0}
"""
)

# KEYS: interview list, pending list, de-dup tombstone
# ARGV: message id, entry ("id \x1f time \x1f text"), ttl
# Returns 1 when stored, 2 when already waiting, 0 when already applied, -1 when the interview
# is not in progress (so the message must not wait in a window at all).
PUSH_PENDING = (
    _READ_HEADER
    + """
if not h or not string.find(h, '"st":"in_progress"', 1, true) then return -1 end
if already(ARGV[1]) then return 0 end
local needle = ARGV[1] .. '\\31'
for _, item in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if string.sub(item, 1, #needle) == needle then return 2 end
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
"""
)

# KEYS: pending list
# ARGV: message id, new entry
# Returns 1 when the waiting message was replaced, 0 when it is not waiting (any more).
REPLACE_PENDING = """
local needle = ARGV[1] .. '\\31'
for index, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if string.sub(item, 1, #needle) == needle then
    redis.call('LSET', KEYS[1], index - 1, ARGV[2])
    return 1
  end
end
return 0
"""
