"""Background work of review: the mails a change request's events send (review.notifications)."""

from celery import shared_task

from codeledger.background import run_after_commit
from review import notifications


@shared_task(ignore_result=True)  # not acks_late: a mail is better lost once than sent twice
def send_change_request_mail(change_id: str, version: int) -> int:
    """Mail about the event at `version` of the change request's stream; the number sent."""
    return notifications.send_mails(notifications.mails_for(change_id, version))


def mail_after_commit(change_id: str, written: list[tuple[str, int]]) -> None:
    """Once the current transaction commits, mail about the events just written ((event
    type, stream version) pairs); nothing at all if it rolls back."""
    for event_type, version in written:
        if event_type in notifications.NOTIFIED:
            # robust: a mail server that is down never fails the decision that was made.
            run_after_commit(send_change_request_mail, str(change_id), version, robust=True)
