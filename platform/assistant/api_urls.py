"""The assistant app's REST API (under /api/v1/)."""

from django.urls import path

from assistant import api

app_name = "assistant-api"

urlpatterns = [
    path("assistant/ask", api.AskView.as_view(), name="ask"),
]
