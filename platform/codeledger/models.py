"""The project's own table: first answers kept for Idempotency-Key retries (idempotency.py)."""

from django.db import models


class IdempotentRequest(models.Model):
    """The first answer to a POST that carried an Idempotency-Key, kept for its retries."""

    caller = models.CharField(max_length=200)  # who sent it: a user, a Basic username, a key
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True)  # None while the first one runs
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="codeledger_idempotency_key")
        ]

    def __str__(self):
        return f"{self.caller} {self.key} ({self.status or 'running'})"
