"""The review workflow's REST API (under /api/v1/)."""

from django.urls import path

from review import api

app_name = "review-api"

urlpatterns = [
    path(
        "codes/<str:system>/<str:code>/confirm-description",
        api.ConfirmDescriptionView.as_view(),
        name="confirm-description",
    ),
    path(
        "codes/<str:system>/<str:code>/versions/<int:version>/revert",
        api.RevertView.as_view(),
        name="revert",
    ),
    path("change-requests", api.ChangeRequestListView.as_view(), name="change-requests"),
    path(
        "change-requests/<uuid:change_id>",
        api.ChangeRequestDetailView.as_view(),
        name="change-request",
    ),
    path("change-requests/<uuid:change_id>/approve", api.ApproveView.as_view(), name="approve"),
    path("change-requests/<uuid:change_id>/reject", api.RejectView.as_view(), name="reject"),
    path(
        "change-requests/<uuid:change_id>/request-changes",
        api.RequestChangesView.as_view(),
        name="request-changes",
    ),
    path("change-requests/<uuid:change_id>/revise", api.ReviseView.as_view(), name="revise"),
    path("change-requests/<uuid:change_id>/withdraw", api.WithdrawView.as_view(), name="withdraw"),
    path("change-requests/<uuid:change_id>/comments", api.CommentView.as_view(), name="comments"),
]
