"""Read models of the editorial domain, written only by the `editorial` projector."""

from django.db import models


class CodeEntry(models.Model):
    """A code as in force today (scheduled changes listed apart until their date).

    `version` is the code stream's version (what a proposal is written against);
    `in_force_version` is the version of the content shown. A code whose registration is itself
    scheduled has a row with `in_force` False until its day, so the due-date sweep finds it.
    """

    system = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    normalised = models.CharField(max_length=20)
    version = models.PositiveIntegerField()
    in_force_version = models.PositiveIntegerField(default=0)
    in_force = models.BooleanField(default=True)
    official_descriptor = models.TextField()
    short_descriptor = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, default="active")
    billable = models.BooleanField(default=False)
    chapter = models.CharField(max_length=300, blank=True)
    block = models.CharField(max_length=300, blank=True)
    parent = models.CharField(max_length=20, blank=True)
    content = models.JSONField()
    needs_review = models.BooleanField(default=False)
    scheduled = models.JSONField(default=list)
    next_change_on = models.DateField(null=True, blank=True)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    position = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="editorial_code_unique"),
        ]
        indexes = [
            models.Index(fields=["system", "normalised"], name="editorial_code_normalised"),
            models.Index(fields=["next_change_on"], name="editorial_code_next_change"),
        ]

    def __str__(self):
        return f"{self.system} {self.code}"


class CodeVersion(models.Model):
    """One version of a code: the event that made it, what changed, who and when."""

    system = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=60)
    changes = models.JSONField()  # field -> {"from": old, "to": new}
    change_request = models.UUIDField(null=True, blank=True)
    proposer = models.CharField(max_length=150, blank=True)
    reviewer = models.CharField(max_length=150, blank=True)
    effective_from = models.DateField()
    recorded_at = models.DateTimeField()
    position = models.BigIntegerField(unique=True)
    source = models.CharField(max_length=200, blank=True)
    release = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["system", "code", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "code", "version"], name="editorial_code_version_unique"
            ),
        ]

    def __str__(self):
        return f"{self.system} {self.code} v{self.version}"


class ChangeRequestEntry(models.Model):
    """The review queue: one row per change request, in its latest state."""

    change_id = models.UUIDField(primary_key=True)
    system = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    is_new = models.BooleanField(default=False)
    kind = models.CharField(max_length=10, default="edit")
    reverts_version = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20)
    proposer = models.CharField(max_length=150)
    reviewer = models.CharField(max_length=150, blank=True)
    rationale = models.TextField()
    decision = models.TextField(blank=True)
    changes = models.JSONField()
    base_version = models.PositiveIntegerField()
    effective_from = models.DateField(null=True, blank=True)
    comments = models.JSONField(default=list)
    code_version = models.PositiveIntegerField(null=True, blank=True)  # after approval
    version = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_position = models.BigIntegerField(unique=True)
    position = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "submitted_position"], name="editorial_cr_queue"),
            models.Index(fields=["system", "code"], name="editorial_cr_code"),
        ]

    def __str__(self):
        return f"change {self.change_id} ({self.status})"


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
    status = models.CharField(max_length=10, default="pending")  # pending|applied|rejected
    conflicts = models.JSONField(default=dict)  # field -> current value, when approval clashed
    decided_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    position = models.BigIntegerField()

    class Meta:
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
