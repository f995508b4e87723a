"""Read models of the Alphabetic Index, written by the `alphabetic_index` projector
(alphabetic_index.projector): each release, and each entry of each release."""

from django.db import models


class IndexRelease(models.Model):
    """One year's index of a code system: in force, proposed for review, superseded, rejected."""

    release_id = models.UUIDField(primary_key=True)
    system = models.CharField(max_length=20)
    source = models.CharField(max_length=200)
    release = models.CharField(max_length=100)
    proposer = models.CharField(max_length=150)
    effective_from = models.DateField(null=True, blank=True)
    digest = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)  # entries, main terms, references, code checks
    changes = models.JSONField(null=True, blank=True)  # against base_release_id, when proposed
    status = models.CharField(max_length=12)  # proposed | in_force | superseded | rejected
    base_release_id = models.UUIDField(null=True, blank=True)
    superseded_by = models.UUIDField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)  # the approval's note or the rejection's reason
    imported_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()
    imported_position = models.BigIntegerField(unique=True)
    position = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["system", "status"], name="index_release_status")]

    def __str__(self):
        return f"{self.system} index {self.release} ({self.status})"

    @property
    def in_force(self) -> bool:
        return self.status == "in_force"

    @property
    def status_label(self) -> str:
        return self.status.replace("_", " ")


class IndexEntry(models.Model):
    """One entry of an index release: a main term (level 0) or a subterm, as the index prints
    it, with its references resolved and its code checked against the tabular list
    (alphabetic_index.resolution)."""

    release_id = models.UUIDField()
    n = models.PositiveIntegerField()  # document order, from 1
    letter = models.CharField(max_length=1)
    level = models.PositiveSmallIntegerField()
    parent = models.PositiveIntegerField(null=True, blank=True)  # the parent entry's n
    subterms = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=500)
    path = models.TextField()  # "Pneumonia, aspiration, due to food"
    search_text = models.TextField()  # path and modifiers, case- and accent-folded
    modifiers = models.TextField(blank=True)
    see = models.TextField(blank=True)
    see_also = models.TextField(blank=True)
    see_target = models.PositiveIntegerField(null=True, blank=True)
    see_also_target = models.PositiveIntegerField(null=True, blank=True)
    code = models.CharField(max_length=20, blank=True)
    manifestation = models.CharField(max_length=20, blank=True)
    resolved_code = models.CharField(max_length=20, blank=True)
    resolved_via = models.CharField(max_length=10, blank=True)  # code | see | see_also
    code_status = models.CharField(max_length=12, blank=True)  # billable|incomplete|header|stale
    attached_code = models.CharField(max_length=20, blank=True)  # the code page it leads to
    position = models.BigIntegerField()

    class Meta:
        ordering = ["release_id", "n"]
        constraints = [
            models.UniqueConstraint(fields=["release_id", "n"], name="index_entry_unique"),
        ]
        indexes = [
            models.Index(fields=["release_id", "level", "letter", "n"], name="index_entry_letter"),
            models.Index(fields=["release_id", "parent", "n"], name="index_entry_parent"),
            models.Index(fields=["release_id", "attached_code"], name="index_entry_code"),
        ]

    def __str__(self):
        return self.path
