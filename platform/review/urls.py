"""The review workflow's pages (its REST API: review/api_urls.py)."""

from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    # Before the code page: "codes/new/preview" would otherwise be system "new", code "preview".
    path("codes/new", views.propose_new, name="propose-new"),
    path("codes/new/preview", views.propose_new_preview, name="propose-new-preview"),
    path("codes/<str:system>/<str:code>/propose", views.propose, name="propose"),
    path(
        "codes/<str:system>/<str:code>/propose/preview",
        views.propose_preview,
        name="propose-preview",
    ),
    path("requests/", views.queue, name="queue"),
    path("requests/mine", views.my_requests, name="my-requests"),
    path("requests/<uuid:change_id>", views.request_page, name="request"),
    path(
        "requests/<uuid:change_id>/approve",
        views.decide,
        {"action": "approve"},
        name="approve",
    ),
    path("requests/<uuid:change_id>/reject", views.decide, {"action": "reject"}, name="reject"),
    path(
        "requests/<uuid:change_id>/request-changes",
        views.decide,
        {"action": "request-changes"},
        name="request-changes",
    ),
    # Without JavaScript, the irreversible ones ask on a page first (with htmx, a dialog).
    path(
        "requests/<uuid:change_id>/approve/confirm",
        views.decide_confirm,
        {"action": "approve"},
        name="approve-confirm",
    ),
    path(
        "requests/<uuid:change_id>/reject/confirm",
        views.decide_confirm,
        {"action": "reject"},
        name="reject-confirm",
    ),
    path("requests/<uuid:change_id>/comments", views.comment, name="comment"),
    path("requests/<uuid:change_id>/withdraw", views.withdraw, name="withdraw"),
    path(
        "requests/<uuid:change_id>/withdraw/confirm",
        views.withdraw_confirm,
        name="withdraw-confirm",
    ),
    path("requests/<uuid:change_id>/revise", views.revise, name="revise"),
    path("review/notifications", views.notifications, name="notifications"),
]
