"""The audit pages (the REST API: audit/api_urls.py)."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.change_log, name="log"),
    path("audit/codes/<str:system>/<str:code>", views.code_audit, name="code"),
    path("audit/integrity", views.integrity_page, name="integrity"),
    path("audit/integrity/verify", views.verify, name="verify"),
]
