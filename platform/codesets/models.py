"""Read models of release change sets, written by the `codesets` projector (codesets.projector).

The tables keep the names they had in the `editorial` app (migrations/0001_initial.py)."""

from django.db import models


class ReleaseEntry(models.Model):
    """A release change set: a new edition of a code set, diffed and waiting for review."""

    release_id = models.UUIDField(primary_key=True)
    system = models.CharField(max_length=20)
    source = models.CharField(max_length=200)
    release = models.CharField(max_length=100)
    proposer = models.CharField(max_length=150)
    effective_from = models.DateField(null=True, blank=True)
    counts = models.JSONField(default=dict)  # as diffed: items per kind, revisions per field
    items = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    conflicted = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField()
    proposed_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    proposed_position = models.BigIntegerField(unique=True)
    position = models.BigIntegerField()

    class Meta:
        db_table = "editorial_releaseentry"

    def __str__(self):
        return f"release {self.system} {self.release}"

    @property
    def status(self) -> str:
        return "open" if self.pending else "completed"


class ReleaseItem(models.Model):
    """One code of a release change set and what the release changes in it."""

    release_id = models.UUIDField()
    code = models.CharField(max_length=20)
    kind = models.CharField(max_length=12)  # added | revised | retired | reinstated
    # The names of the fields it changes, as ",notes,official_descriptor," so that a field
    # filter is a plain substring match on every database.
    fields = models.CharField(max_length=300)
    changes = models.JSONField()  # field -> {"from": old, "to": new}, as diffed
    # The day the item is in force from when it is the code's own (a code-set file's
    # effective_from or retired_on, codesets.files), not the release's.
    effective_from = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, default="pending")  # pending|applied|rejected
    conflicts = models.JSONField(default=dict)  # field -> current value, when approval clashed
    decided_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    position = models.BigIntegerField()

    class Meta:
        db_table = "editorial_releaseitem"
        ordering = ["release_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["release_id", "code"], name="editorial_release_item"),
        ]
        indexes = [
            models.Index(fields=["release_id", "status", "code"], name="editorial_release_status"),
            models.Index(fields=["release_id", "kind", "code"], name="editorial_release_kind"),
        ]

    def __str__(self):
        return f"{self.code} ({self.kind}, {self.status})"
