"""Read models for auditors: the global change log, and the runs of the chain verification."""

import uuid

from django.db import models

from events.models import Event


class LogEntry(models.Model):
    """One event of the log in domain words, with the columns auditors filter on.

    Written only by the `changelog` projector. The primary key is the event's position (a link
    to the event itself, for its id and hashes, without a constraint on the append-only table).
    """

    event = models.OneToOneField(
        Event,
        primary_key=True,
        db_column="position",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="log_entry",
    )
    recorded_at = models.DateTimeField()
    type = models.CharField(max_length=100)
    stream = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    actor = models.CharField(max_length=150, blank=True)
    system = models.CharField(max_length=20, blank=True)
    code = models.CharField(max_length=20, blank=True)
    change_request = models.UUIDField(null=True, blank=True)
    release_id = models.UUIDField(null=True, blank=True)
    summary = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["actor", "event"], name="audit_log_actor"),
            models.Index(fields=["system", "code", "event"], name="audit_log_code"),
            models.Index(fields=["type", "event"], name="audit_log_type"),
            models.Index(fields=["change_request"], name="audit_log_change_request"),
            models.Index(fields=["release_id"], name="audit_log_release"),
            models.Index(fields=["recorded_at"], name="audit_log_recorded_at"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.summary}"

    @property
    def position(self) -> int:
        return self.pk


class VerificationRun(models.Model):
    """One run of the chain verification (a background task), with its progress and result."""

    QUEUED, RUNNING, OK, FAILED, ERROR = "queued", "running", "ok", "failed", "error"
    STATUSES = [(s, s) for s in (QUEUED, RUNNING, OK, FAILED, ERROR)]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    total = models.PositiveIntegerField(default=0)  # events in the log when the run started
    checked = models.PositiveIntegerField(default=0)
    digest_position = models.BigIntegerField(null=True, blank=True)
    digest_hash = models.CharField(max_length=64, blank=True)
    digest_taken_at = models.CharField(max_length=40, blank=True)
    head_position = models.BigIntegerField(null=True, blank=True)
    head_hash = models.CharField(max_length=64, blank=True)
    problem_position = models.BigIntegerField(null=True, blank=True)
    problem_kind = models.CharField(max_length=30, blank=True)
    problem_detail = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"verification {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.OK, self.FAILED, self.ERROR)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(99, self.checked * 100 // self.total) if self.total else 0
