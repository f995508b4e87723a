"""The Alphabetic Index's REST API (under /api/v1/)."""

from django.urls import path

from alphabetic_index import api

app_name = "alphabetic_index-api"

urlpatterns = [
    path("index", api.IndexSearchView.as_view(), name="search"),
    path("index/releases", api.IndexReleaseListView.as_view(), name="releases"),
    path(
        "index/releases/<uuid:index_release_id>",
        api.IndexReleaseDetailView.as_view(),
        name="release",
    ),
    path(
        "index/releases/<uuid:index_release_id>/changes",
        api.IndexReleaseChangesView.as_view(),
        name="release-changes",
    ),
    path(
        "index/releases/<uuid:index_release_id>/approve",
        api.IndexReleaseApproveView.as_view(),
        name="release-approve",
    ),
    path(
        "index/releases/<uuid:index_release_id>/reject",
        api.IndexReleaseRejectView.as_view(),
        name="release-reject",
    ),
]
