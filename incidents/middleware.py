"""A database too busy to answer in time is a clear 503, never a stack trace or a 500.

SQLite lets one writer in at a time; a writer that cannot get the lock within the busy
timeout (settings.SQLITE_OPTIONS: 20 s, e.g. behind a long import) gets "database is
locked". PostgreSQL's equivalents are a lock or statement timeout and a serialization
failure. Nothing was written (the request's transaction is rolled back), so the page says
so and asks the analyst to try again; ``Retry-After`` tells scripts when.
"""

import logging

from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

BUSY = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "canceling statement due to",
    "could not serialize access",
    "deadlock detected",
)
RETRY_AFTER_S = 5


def is_busy(error):
    text = str(error).lower()
    return isinstance(error, OperationalError) and any(phrase in text for phrase in BUSY)


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy(exception):
            return None
        logger.warning("Database busy on %s %s: %s", request.method, request.path, exception)
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_S}, request=request),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
