from django.urls import path

from audit import api

app_name = "audit-api"

urlpatterns = [
    path("audit/log", api.ChangeLogView.as_view(), name="log"),
    path("audit/log/export.csv", api.CsvExportView.as_view(), name="export-csv"),
    path("audit/log/export.jsonl", api.JsonLinesExportView.as_view(), name="export-jsonl"),
    path(
        "audit/codes/<str:system>/<str:code>/timeline", api.TimelineView.as_view(), name="timeline"
    ),
    path("audit/codes/<str:system>/<str:code>/blame", api.BlameView.as_view(), name="blame"),
    path("audit/integrity", api.IntegrityView.as_view(), name="integrity"),
    path(
        "audit/integrity/verifications",
        api.VerificationListView.as_view(),
        name="verifications",
    ),
    path(
        "audit/integrity/verifications/<uuid:run_id>",
        api.VerificationDetailView.as_view(),
        name="verification",
    ),
    path("audit/integrity/digest", api.DigestView.as_view(), name="digest"),
]
