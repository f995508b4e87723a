"""The release change sets' REST API (under /api/v1/)."""

from django.urls import path

from codesets import api

app_name = "codesets-api"

urlpatterns = [
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
