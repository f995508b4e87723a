"""Read models of codes, written by the `codes` projector (codes.projector) and by the periodic
task that brings rows whose scheduled change has come into force up to date (codes.tasks).

The tables keep the names they had when these models lived in the `editorial` app, so existing
databases need no copy (migrations/0001_initial.py)."""

from django.db import models


class CodeEntryQuerySet(models.QuerySet):
    def due(self, today):
        """Rows whose scheduled change (or registration) comes into force by `today`."""
        return self.filter(next_change_on__lte=today)


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

    objects = CodeEntryQuerySet.as_manager()

    class Meta:
        db_table = "editorial_codeentry"
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="editorial_code_unique"),
        ]
        indexes = [
            models.Index(fields=["system", "normalised"], name="editorial_code_normalised"),
            models.Index(fields=["next_change_on"], name="editorial_code_next_change"),
            # A code's children are found by parent (HCPCS, CPT and custom codes have no
            # dotted prefix to match).
            models.Index(fields=["system", "parent"], name="editorial_code_parent"),
        ]

    def __str__(self):
        return f"{self.system} {self.code}"

    def is_due(self, today) -> bool:
        """Its scheduled change (or registration) has come into force by `today` (see `due`)."""
        return self.next_change_on is not None and self.next_change_on <= today


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
        db_table = "editorial_codeversion"
        ordering = ["system", "code", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "code", "version"], name="editorial_code_version_unique"
            ),
        ]

    def __str__(self):
        return f"{self.system} {self.code} v{self.version}"


class SectionEntry(models.Model):
    """A chapter or block as in force today (codes.sections), written by the `sections`
    projector. `next_change_on`: when an event recorded already comes into force (a revision,
    or the section itself while `in_force` is False); from that day until the projector
    recomputes the row, readers fold the stream instead (codes.selectors.section_current)."""

    system = models.CharField(max_length=20)
    section = models.CharField(max_length=20)
    level = models.CharField(max_length=10)
    title = models.CharField(max_length=300)
    notes = models.JSONField(default=dict)
    chapter = models.CharField(max_length=20, blank=True)
    version = models.PositiveIntegerField()
    in_force = models.BooleanField(default=True)
    next_change_on = models.DateField(null=True, blank=True)
    position = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "section"], name="codes_section_unique"),
        ]

    def __str__(self):
        return f"{self.system} {self.level} {self.section}"


class CodeSystemEntry(models.Model):
    """A code system defined by an imported file (codes.systems.defined_system), as its
    `codesystem:<name>` stream says today: written by the `code_systems` projector
    (codes.system_projector), and by the import that defines the system, in its transaction, so
    the codes it registers can be checked against it (the same fold: the projector's later
    write changes nothing). The packaged systems are not here: they are defined in code."""

    name = models.CharField(max_length=20, unique=True)
    label = models.CharField(max_length=200)
    url = models.CharField(max_length=500)
    publisher = models.CharField(max_length=300, blank=True)
    licence = models.CharField(max_length=1000, blank=True)
    licensed = models.BooleanField(default=False)
    code_pattern = models.CharField(max_length=300)
    format_hint = models.CharField(max_length=300)
    version = models.CharField(max_length=100, blank=True)
    stream_version = models.PositiveIntegerField()
    defined_at = models.DateTimeField()
    revised_at = models.DateTimeField()
    position = models.BigIntegerField()

    def __str__(self):
        return f"{self.name} ({self.label})"
