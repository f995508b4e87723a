"""Background work after a commit: run a task in this process when tasks run eagerly (the
embedded default, no broker), or send it to the broker. The one place that makes that choice.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def run_after_commit(
    task, *args, robust: bool = False, on_refused: Callable[[Exception], None] | None = None
) -> None:
    """Once the current transaction commits (at once outside one), run `task(*args)`.

    Eager: the task's body runs here; with `robust`, an error in it is logged instead of
    raised to the committer. With a broker: the message is sent without publish retries
    (Celery's default policy would wait BROKER_TIMEOUT four times against a broker that does
    not answer); a broker that refuses it is logged and handed to `on_refused`.
    """

    def send():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task(*args)
            return
        try:
            task.apply_async(args, retry=False)
        except Exception as error:
            log.warning("could not send the task %s to the broker", task.name, exc_info=True)
            if on_refused:
                on_refused(error)

    transaction.on_commit(send, robust=robust)
