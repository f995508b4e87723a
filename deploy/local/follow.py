"""`make run`'s projection follower: keeps every projector caught up with the log, in a process
of its own beside the web server (deploy/local/serve.sh), as production's Celery worker does.

It reads the head every 25 ms and catches up the projectors behind it (events.tasks
.follow_the_log); the web workers do not project after their commits. SIGTERM or SIGINT stop
it between runs.
"""

import os
import signal
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")


def main() -> None:
    import django

    django.setup()
    from events.tasks import follow_the_log

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    follow_the_log(stop=stop)


if __name__ == "__main__":
    main()
