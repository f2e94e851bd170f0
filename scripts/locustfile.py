"""Locust user for policyqa's steady-rate load run (driven by scripts/locust_load.py).

Each simulated citizen POSTs /api/ask at a constant rate (``POLICYQA_LOAD_USER_RATE`` requests
per second, locust's ``constant_throughput``), cycling through scripts/loadtest.py's questions
(answered and refused ones).  A non-200 answer or a body without ``answer`` counts as a failure.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

from locust import HttpUser, constant_throughput, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import QUESTIONS  # noqa: E402

RATE = float(os.environ.get("POLICYQA_LOAD_USER_RATE", "2"))
_questions = itertools.cycle(QUESTIONS)


class Citizen(HttpUser):
    wait_time = constant_throughput(RATE)

    @task
    def ask(self) -> None:
        with self.client.post("/api/ask", json={"question": next(_questions)}, name="/api/ask",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "answer" not in response.json():
                response.failure("no answer in the body")
