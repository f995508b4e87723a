"""Background work after a commit: run a task in this process when tasks run eagerly (the
embedded default, no broker), or send it to the broker. The one place that makes that choice.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def run_after_commit(
    task,
    *args,
    robust: bool = False,
    retry: bool = True,
    on_refused: Callable[[Exception], None] | None = None,
) -> None:
    """Once the current transaction commits (at once outside one), run `task(*args)`.

    Eager: the task's body runs here; with `robust`, an error in it is logged instead of
    raised to the committer. With a broker: the message is sent with Celery's publish retries,
    or without them (`retry=False`) where a later run makes up for a lost message (each retry
    waits BROKER_TIMEOUT against a broker that does not answer); a broker that does not take it
    is logged and handed to `on_refused`, or raised to the committer when there is none.
    """

    def send():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task(*args)
            return
        try:
            task.apply_async(args, retry=retry)
        except Exception as error:
            log.warning("could not send the task %s to the broker", task.name, exc_info=True)
            if on_refused is None:
                raise
            on_refused(error)

    transaction.on_commit(send, robust=robust)
