"""The review queue's read model, written by the `review` projector (review.projector).

The table keeps the name it had in the `editorial` app (migrations/0001_initial.py)."""

from django.conf import settings
from django.db import models


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
        db_table = "editorial_changerequestentry"
        indexes = [
            models.Index(fields=["status", "submitted_position"], name="editorial_cr_queue"),
            models.Index(fields=["system", "code"], name="editorial_cr_code"),
        ]

    def __str__(self):
        return f"change {self.change_id} ({self.status})"


class NotificationPreference(models.Model):
    """Which review mails a person gets (review.notifications). No row: all of them, so a new
    reviewer hears of requests without setting anything up."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_notifications"
    )
    my_requests = models.BooleanField(
        "Mail me when a reviewer decides on my requests",
        default=True,
        help_text="Approved, rejected, or sent back with what should change.",
    )
    requests_to_review = models.BooleanField(
        "Mail me when a request arrives for review or is revised",
        default=True,
        help_text="Reviewers only: requests someone else proposed.",
    )

    def __str__(self):
        return f"review mails of {self.user}"
