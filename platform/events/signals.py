"""What the event store announces. Receivers are connected at start-up (events/apps.py)."""

from django.dispatch import Signal

# Sent once a transaction that appended events has committed (robustly: a receiver's error is
# logged, never raised to the writer). The projection runner catches up on it.
events_committed = Signal()
