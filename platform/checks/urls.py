"""The checks app's pages."""

app_name = "checks"

urlpatterns = []
