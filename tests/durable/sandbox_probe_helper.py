"""The same calls as sandbox_probe.py, from a module the workflow imports passed through."""

import random
import time
from collections.abc import Callable
from datetime import datetime


def read_this_file() -> str:
    with open(__file__) as source:
        return source.readline()


CALLS: dict[str, Callable[[], object]] = {
    "helper: datetime.now": datetime.now,
    "helper: random.random": random.random,
    "helper: time.time": time.time,
    "helper: open": read_this_file,
}
