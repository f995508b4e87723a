"""The reference's REST API (under /api/v1/)."""

from django.urls import path

from reference import api

app_name = "reference-api"

urlpatterns = [
    path("codes/<str:system>/<str:code>", api.CodeDetailView.as_view(), name="code"),
    path("codes/<str:system>/<str:code>/history", api.CodeHistoryView.as_view(), name="history"),
    path("codes/<str:system>/<str:code>/diff", api.CodeDiffView.as_view(), name="diff"),
]
