"""The HTTP service: JSON API, citizen chat page, staff search page and chat widget.

``create_app(manager, settings)`` builds the FastAPI app; ``run(settings, host, port, workers)``
loads the index and serves it with uvicorn (what ``policyqa serve`` calls).
"""

from __future__ import annotations

from .app import create_app
from .server import run

__all__ = ["create_app", "run"]
