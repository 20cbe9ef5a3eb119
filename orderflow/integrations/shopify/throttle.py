"""Shopify's cost bucket of a shop, shared by every worker process through Redis.

A process alone can project the last `throttleStatus` it saw forward at the restore rate. Several
processes each doing that spend the same points twice and meet THROTTLED together. So, before a
call, a process runs one Redis script that:

1. merges the newest observation this process has not shared yet (a newer one replaces the
   shop's record; its time is measured by Redis's clock, so hosts need not agree on the time),
   and the cost of the call it answered (so a process new to an operation knows its cost);
2. projects the record to now and subtracts the points other calls reserved since it was seen;
3. says how long to wait for the points the call needs, and reserves what it will spend, at the
   time it will be sent, so the next caller queues behind it instead of racing it.

One round trip per call. If Redis fails, `reserve` answers None and the caller falls back on its
own view for a while: a Shopify call never fails because Redis did.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS: the shop's record (hash), its reservations (sorted set: planned send time -> "id:points").
# ARGV: the operation, the points it needs and will spend as this process knows them (or "":
#       then as any process last saw them, else 50), a reservation id, then the caller's unshared
#       observation (available, maximum, restore rate, its age and the age of the request that
#       brought it, in seconds; that request's operation, requested and actual cost), each ""
#       when there is none. An observation reflects the calls sent before its own request was:
#       their reservations go, but for those planned within 0.25 s of it (a call goes out a little
#       after its planned time: counted twice for a while rather than not at all); later ones stay
#       until a newer observation.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rec = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'restore', 'at', 'reflects')
local available, maximum, restore = tonumber(rec[1]), tonumber(rec[2]), tonumber(rec[3])
local at, reflects = tonumber(rec[4]), tonumber(rec[5])
if ARGV[5] ~= '' then
  local seen = now - tonumber(ARGV[8])
  if at == nil or seen > at then
    available, maximum, restore, at = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), seen
    reflects = now - tonumber(ARGV[9])
    redis.call('HSET', KEYS[1], 'available', available, 'maximum', maximum, 'restore', restore,
               'at', at, 'reflects', reflects)
  end
end
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[1], 'requested:' .. ARGV[10], ARGV[11])
end
if ARGV[12] ~= '' then
  redis.call('HSET', KEYS[1], 'spent:' .. ARGV[10], ARGV[12])
end
redis.call('EXPIRE', KEYS[1], 900)
local known = redis.call('HMGET', KEYS[1], 'requested:' .. ARGV[1], 'spent:' .. ARGV[1])
local needed = tonumber(ARGV[2]) or tonumber(known[1]) or 50
local spend = tonumber(ARGV[3]) or tonumber(known[2]) or needed
local wait = 0
if at ~= nil then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', reflects - 0.25)
  local reserved = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    reserved = reserved + tonumber(string.match(member, ':([^:]+)$'))
  end
  local current = math.min(maximum, available + (now - at) * restore) - reserved
  if current < needed and restore > 0 then
    wait = (needed - current) / restore
  end
end
redis.call('ZADD', KEYS[2], now + wait, ARGV[4] .. ':' .. spend)
redis.call('EXPIRE', KEYS[2], 900)
return tostring(wait)
"""


@dataclass(frozen=True)
class Observation:
    """A `throttleStatus` as this process received it (`at`: time.monotonic()), with the cost of
    the call it answered."""

    available: float
    maximum: float
    restore_rate: float
    at: float
    sent_at: float  # when the request it answered was sent
    operation: str
    requested: float | None
    spent: float | None


class SharedBuckets:
    def __init__(self, redis, prefix: str = "orderflow:shopify-bucket:",
                 pause_on_error: float = 10.0):
        self._redis = redis
        self._script = redis.register_script(_RESERVE)
        self._prefix = prefix
        self._pause_on_error = pause_on_error
        self._skip_until = 0.0

    def reserve(self, shop_domain: str, operation: str, needed: float | None,
                spend: float | None, news: Observation | None) -> float | None:
        """Seconds to wait before sending `operation`, which needs `needed` points and will spend
        about `spend` (None: as another process saw it); None when Redis cannot say (the caller
        then uses its own view)."""
        if time.monotonic() < self._skip_until:
            return None
        key = self._prefix + shop_domain
        args = [operation, _arg(needed), _arg(spend), uuid.uuid4().hex, *_observed(news)]
        try:
            return float(self._script(keys=[key, key + ":reserved"], args=args))
        except (RedisError, ValueError) as exc:
            log.warning("Shopify throttle state unavailable in Redis (%s); each process keeps its"
                        " own for %.0fs", exc, self._pause_on_error)
            self._skip_until = time.monotonic() + self._pause_on_error
            return None


def _arg(value: float | None) -> float | str:
    return "" if value is None else value


def _observed(news: Observation | None) -> list:
    if news is None:
        return [""] * 8
    now = time.monotonic()
    return [news.available, news.maximum, news.restore_rate, max(0.0, now - news.at),
            max(0.0, now - news.sent_at), news.operation, _arg(news.requested), _arg(news.spent)]
