"""Read model of the glossary, written by the `knowledge` projector (knowledge.projector) from
the glossary streams (`glossary:<term>`, codes.streams)."""

from django.db import models


class GlossaryTerm(models.Model):
    """A medical word and its plain equivalent, with the source it was taken from.

    `plain` and `source` are what a reviewer approved (empty until the first approval): only
    those are used by explanations. A proposal waiting for review is kept apart in
    `proposed_plain` / `proposed_source`, so an approved term stays in use meanwhile.
    """

    term = models.CharField(max_length=100, unique=True)
    plain = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10)  # pending | approved | rejected
    proposed_plain = models.CharField(max_length=300, blank=True)
    proposed_source = models.CharField(max_length=300, blank=True)
    proposer = models.CharField(max_length=150, blank=True)
    reviewer = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)  # the last decision's note or reason
    version = models.PositiveIntegerField()
    position = models.BigIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} ({self.status})"
