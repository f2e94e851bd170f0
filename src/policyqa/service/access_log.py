"""Keep personal data out of the access log.

uvicorn logs every request as ``client - "METHOD path?query HTTP/x" status`` on the
``uvicorn.access`` logger.  Two routes carry personal data in the query string:

* ``/wechat`` — the follower's ``openid`` (and ``signature``, ``nonce`` …): logged as
  ``/wechat?follower=<12-hex hash of the openid>`` (the same hash the WeChat log lines use);
* ``/api/search`` — the staff member's search words (``q``): logged as ``/api/search``.

:class:`AccessLogRedactor` is a :class:`logging.Filter` that rewrites those records;
:func:`create_app` adds it to ``uvicorn.access`` while the app runs.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from ..wechat import follower_hash

ACCESS_LOGGER = "uvicorn.access"

#: Paths whose query string never reaches the log.
REDACTED_PATHS = ("/wechat", "/api/search")


def redact_path(full_path: str) -> str:
    """``full_path`` (path and query) as it may be logged."""
    path, sep, query = full_path.partition("?")
    if path.rstrip("/") not in REDACTED_PATHS:
        return full_path
    if path.rstrip("/") == "/wechat" and sep:
        openid = parse_qs(query).get("openid", [""])[0]
        if openid:
            return f"{path}?follower={follower_hash(openid)}"
    return path


class AccessLogRedactor(logging.Filter):
    """Rewrites uvicorn access records (args ``(client, method, path, http_version, status)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True
