"""The assistant app's pages."""

app_name = "assistant"

urlpatterns = []
