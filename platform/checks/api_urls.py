"""The checks app's REST API (under /api/v1/)."""

app_name = "checks-api"

urlpatterns = []
