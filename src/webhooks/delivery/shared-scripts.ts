/**
 * The Lua scripts that keep a webhook's sending limits in the Redis several instances share.
 * Each runs atomically on the Redis server, so two instances can never both take the last slot or
 * the last request of a window. Times are Redis's own clock (TIME): instances on hosts whose clocks
 * disagree still agree on when a pause ends. Callers pass and receive durations, never instants.
 *
 * Three keys per webhook (KEYS[1..3]):
 *   pause   a string: the instant (ms) before which nothing may be sent; expires with it.
 *   window  a hash: what the receiver said of its rate-limit window (Discord's X-RateLimit-*):
 *           kind=window with remaining, resetAt, limit ('' when not given) and windowMs (the longest
 *           Reset-After seen, our guess of a window's length); or kind=none, the receiver answered
 *           without such headers. Absent: nothing known yet.
 *   slots   the concurrency cap as a semaphore with leases: a sorted set of lease ids scored by the
 *           instant each lease expires. Taking a slot adds one; the end of the HTTP exchange removes
 *           it. An instance that dies mid-request never removes its leases, so each expires on its
 *           own (after WEBHOOK_TIMEOUT_MS plus a margin, when the request would have been aborted
 *           anyway) and every count first drops the expired ones. No instance has to be alive for
 *           another's slot to come back.
 */

const now = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Pauses the webhook until `untilMs` unless it is already paused longer. */
const pauseUntil = `
local function pauseUntil(untilMs)
  local current = tonumber(redis.call('GET', KEYS[1]) or '0')
  if untilMs > now and untilMs > current then
    redis.call('SET', KEYS[1], untilMs, 'PX', untilMs - now)
  end
end
`;

/**
 * Takes a slot for one request, or says why not.
 * ARGV: cap, lease id, lease ms, how long window knowledge is kept (ms).
 * Returns {1, 0} admitted; {0, waitMs} paused for that long; {2, 0} every slot taken.
 *
 * While nothing is known of the receiver's window, one request at a time probes it: a burst from
 * several instances must not outrun a limit nobody has read yet (Discord's first answer tells it).
 */
export const ADMIT = `${now}${pauseUntil}
local cap = tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return {0, paused - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local inFlight = redis.call('ZCARD', KEYS[3])
if inFlight >= cap then return {2, 0} end
local w = redis.call('HMGET', KEYS[2], 'kind', 'remaining', 'resetAt', 'limit', 'windowMs')
if not w[1] then
  if inFlight > 0 then return {2, 0} end
elseif w[1] == 'window' then
  local remaining, resetAt = tonumber(w[2]), tonumber(w[3])
  if now >= resetAt then
    local limit = tonumber(w[4])
    if limit == nil then
      -- A window ended whose size the receiver never gave: probe the next one.
      redis.call('DEL', KEYS[2])
      if inFlight > 0 then return {2, 0} end
      remaining = nil
    else
      -- A new window, as large as the receiver last announced, until it says otherwise.
      remaining = limit
      resetAt = now + tonumber(w[5])
    end
  end
  if remaining ~= nil then
    if remaining <= 0 then
      pauseUntil(resetAt)
      return {0, math.max(1, resetAt - now)}
    end
    remaining = remaining - 1
    redis.call('HSET', KEYS[2], 'remaining', remaining, 'resetAt', resetAt)
    redis.call('PEXPIRE', KEYS[2], resetAt - now + tonumber(ARGV[4]))
    if remaining <= 0 then pauseUntil(resetAt) end
  end
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]))
return {1, 0}
`;

/**
 * What one exchange taught, then its slot back, in one step: nobody can take the slot between a
 * 429 and its pause.
 * ARGV: lease id ('' for a request that held none, the Test action), pause ms (-1: none), answered
 * (1 when an HTTP answer came), remaining (-1: no window headers), reset-after ms, limit (-1: not
 * given), how long window knowledge is kept (ms), how far apart (ms) two answers' reset instants may
 * be and still describe the same window.
 *
 * Answers arrive out of order and requests still in flight will spend from what the receiver says is
 * left, so within one window the smaller count wins and the later reset; an answer whose window ends
 * later than the one we hold is a new window and replaces it.
 */
export const SETTLE = `${now}${pauseUntil}
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local others = redis.call('ZCARD', KEYS[3])
if ARGV[1] ~= '' and redis.call('ZSCORE', KEYS[3], ARGV[1]) then others = others - 1 end
local pauseMs = tonumber(ARGV[2])
if pauseMs >= 0 then pauseUntil(now + pauseMs) end
local keep = tonumber(ARGV[7])
local reported = tonumber(ARGV[4])
local w = redis.call('HMGET', KEYS[2], 'kind', 'remaining', 'resetAt', 'limit', 'windowMs')
if reported >= 0 then
  local resetAfter = tonumber(ARGV[5])
  local remaining = math.max(0, reported - others)
  local resetAt = now + resetAfter
  local windowMs = resetAfter
  local limit = ARGV[6]
  if limit == '-1' then limit = '' end
  if w[1] == 'window' then
    windowMs = math.max(tonumber(w[5]), resetAfter)
    local heldReset = tonumber(w[3])
    if now < heldReset and resetAt <= heldReset + tonumber(ARGV[8]) then
      remaining = math.min(tonumber(w[2]), remaining)
      resetAt = math.max(heldReset, resetAt)
    end
  end
  redis.call('HSET', KEYS[2], 'kind', 'window', 'remaining', remaining, 'resetAt', resetAt, 'limit', limit, 'windowMs', windowMs)
  redis.call('PEXPIRE', KEYS[2], resetAt - now + keep)
  if remaining <= 0 then pauseUntil(resetAt) end
elseif ARGV[3] == '1' and w[1] ~= 'window' then
  redis.call('HSET', KEYS[2], 'kind', 'none')
  redis.call('PEXPIRE', KEYS[2], keep)
end
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
`;
