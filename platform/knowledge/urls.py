"""The knowledge app's pages."""

app_name = "knowledge"

urlpatterns = []
