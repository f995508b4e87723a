"""The checks app's REST API (under /api/v1/).

`codes/check` has one segment after `codes/`: the reference's `codes/<system>/<code>` (two)
never takes it, whichever is included first (codeledger/urls.py)."""

from django.urls import path

from checks import api

app_name = "checks-api"

urlpatterns = [
    path("codes/check", api.CheckView.as_view(), name="check"),
]
