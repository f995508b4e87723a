"""API rate limits: fixed windows counted in the cache, one atomic round trip a request.

DRF's SimpleRateThrottle keeps each client's request times as a list in the cache: it reads the
list, trims it and writes it back. That is two round trips and a pickle of up to `rate`
timestamps a request, and two workers that read the list at once can both let a request through
at the limit. Here a client has one counter per window (`120/min`: the minute that started at
:00), incremented atomically; the count is the client's use of this window. At a window's edge a
client can make up to its rate twice in quick succession, the usual price of fixed windows.

Answers carry the limit, what remains of it and the seconds until the window resets
(X-RateLimit-Limit / -Remaining / -Reset); a refused request gets 429 with Retry-After. While
the shared cache is out of reach, requests are let through uncounted, without these headers.
"""

import math
import time

from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from codeledger.cache import count

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/min' -> (120, 60): requests per window, window in seconds."""
    number, period = rate.split("/")
    return int(number), DURATIONS[period[0]]


class WindowThrottle(BaseThrottle):
    """Subclasses say who is asking and at which rate: `scope(request)` -> (key, rate)."""

    def scope(self, request) -> tuple[str, str]:
        raise NotImplementedError

    def allow_request(self, request, view):
        key, rate = self.scope(request)
        limit, window = parse_rate(rate)
        now = time.time()
        started = int(now // window)
        used = count(caches["default"], f"throttle:{key}:{window}:{started}", window + 1)
        if used is None:
            return True  # the cache is out of reach (logged): no count, so no limit and no headers
        self.retry_after = max(1, math.ceil((started + 1) * window - now))
        request.rate_limit = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(self.retry_after),
        }
        return used <= limit

    def wait(self):
        return self.retry_after


class RateLimitHeaders:
    """An APIView mixin: the throttle's figures go out with every answer, 429 included."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in getattr(request, "rate_limit", {}).items():
            response[header] = value
        return response
