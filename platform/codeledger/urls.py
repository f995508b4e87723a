from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from codeledger.health import healthz
from codeledger.metrics import metrics_view
from codeledger.views import HomeView
from search import views as search_views

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # django-allauth: sign in/up/out, email verification, password reset (docs/accounts.md).
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("search.urls")),
    path("api/v1/", include("editorial.urls")),
    path("api/v1/", include("audit.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("search", search_views.search_page, name="search"),
    path("search/suggest", search_views.suggest, name="search-suggest"),
    path("", include("editorial.screen_urls")),
    path("", include("audit.screen_urls")),
]
