"""The knowledge app's REST API (under /api/v1/)."""

app_name = "knowledge-api"

urlpatterns = []
