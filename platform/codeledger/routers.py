"""Read-model queries from a PostgreSQL read replica (DATABASE_REPLICA_URL), where lag is safe.

Only reads of read models (the apps in DATABASE_REPLICA_APPS: codes, review and
codesets by default) and only
inside `replica_reads()` go to the replica; the web middleware opens it for GET/HEAD requests
of clients that have not just written. Everything else uses the primary: every write, the event
log and projector checkpoints, sessions and users, and all Celery tasks (a projector reads and
writes its read model in one transaction on the primary; a lagging replica there would be a
bug, not a delay).
"""

import contextlib
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"

_replica_allowed: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads():
    """Within: read-model reads may come from the replica (results may lag a little)."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReadReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _replica_allowed.get()
            and model._meta.app_label in settings.DATABASE_REPLICA_APPS
            and replica_configured()
        ):
            return REPLICA
        return None  # the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica gets its schema by replication
