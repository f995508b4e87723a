"""The assistant app's REST API (under /api/v1/)."""

app_name = "assistant-api"

urlpatterns = []
