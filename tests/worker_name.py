"""``[core] hostname_callable`` for test Celery workers that share one machine: each reports its own name."""

import os
import socket


def worker_name() -> str:
    return os.environ.get("REVIEWPULSE_WORKER_NAME") or socket.getfqdn()
