from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from codeledger.health import healthz
from codeledger.metrics import metrics_view
from codeledger.views import HomeView, api_not_found

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # django-allauth: sign in/up/out, email verification, password reset (docs/accounts.md).
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    # Each app's REST API (its api_urls.py) and pages (its urls.py).
    path("api/v1/", include("search.api_urls")),
    path("api/v1/", include("reference.api_urls")),
    path("api/v1/", include("review.api_urls")),
    path("api/v1/", include("codesets.api_urls")),
    path("api/v1/", include("alphabetic_index.api_urls")),
    path("api/v1/", include("audit.api_urls")),
    path("api/v1/", include("knowledge.api_urls")),
    path("api/v1/", include("checks.api_urls")),
    path("api/v1/", include("assistant.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP);
    # its page keeps one inline <style>, allowed there alone.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    # Any other path under /api/ is a 404 problem (problem details), never Django's page.
    re_path(r"^api/", api_not_found, name="api-not-found"),
    path("", include("search.urls")),
    # Before the code page: "codes/new/preview" would otherwise be system "new", code "preview".
    path("", include("review.urls")),
    path("", include("reference.urls")),
    path("", include("codesets.urls")),
    path("", include("alphabetic_index.urls")),
    path("", include("audit.urls")),
    path("", include("knowledge.urls")),
    path("", include("checks.urls")),
    path("", include("assistant.urls")),
    # The FHIR R4 terminology service: FHIR answers (OperationOutcome), not problem details.
    path("fhir/", include("fhir.urls")),
]

if settings.DEBUG_TOOLBAR:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
