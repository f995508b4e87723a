from django.urls import path

from editorial import api

app_name = "editorial-api"

urlpatterns = [
    path("codes/<str:system>/<str:code>", api.CodeDetailView.as_view(), name="code"),
    path("codes/<str:system>/<str:code>/history", api.CodeHistoryView.as_view(), name="history"),
    path("codes/<str:system>/<str:code>/diff", api.CodeDiffView.as_view(), name="diff"),
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
    path("releases", api.ReleaseListView.as_view(), name="releases"),
    path("releases/<uuid:release_id>", api.ReleaseDetailView.as_view(), name="release"),
    path("releases/<uuid:release_id>/items", api.ReleaseItemsView.as_view(), name="release-items"),
    path(
        "releases/<uuid:release_id>/approve",
        api.ReleaseApproveView.as_view(),
        name="release-approve",
    ),
    path(
        "releases/<uuid:release_id>/reject", api.ReleaseRejectView.as_view(), name="release-reject"
    ),
]
