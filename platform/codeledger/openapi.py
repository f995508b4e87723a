"""The OpenAPI schema of the API, as the API answers (drf-spectacular's AutoSchema, completed).

drf-spectacular documents what a view declares: its success answer and the credentials of its
authentication classes. It does not know that every error is a problem detail
(codeledger.problems), nor that a read open to anyone needs no credentials. This schema class
adds, to every operation:

- the error statuses it can answer, each an `application/problem+json` body (`Problem`):
  401 and 429 always (a wrong password or API key; throttled, or too many failed sign-ins:
  accounts.lockout), 400 when it takes parameters or a body, 403 when it needs a role, 404
  when its path names something, 409 and 422 for a POST (conflicts, and a reused
  Idempotency-Key), 413 and 415 when it takes a body, 503 for writes (the event store busy)
  and for views that say so (`problem_statuses`);
- for a public read (a permission with `public = True`): anonymous access and API keys.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from codeledger.problems import CONTENT_TYPE, TITLES


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem detail; some problems add members of their own."""

    type = serializers.CharField(help_text="a URI reference naming the kind of problem")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="what is wrong, in words a person can act on")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="per field (or query parameter), what is wrong with it",
    )


API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": "An API key for reading codes: `Authorization: Api-Key <key>`",
}


class ProblemAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/"):
            return operation
        if self._public():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name="ApiKeyAuth",
                    type=ResolvedComponent.SECURITY_SCHEMA,
                    object="ApiKeyAuth",
                    schema=API_KEY_SCHEME,
                )
            )
            operation["security"] = [*operation.get("security", []), {"ApiKeyAuth": []}, {}]
        responses = operation.setdefault("responses", {})
        for status in sorted(self._problem_statuses(operation)):
            if str(status) not in responses:
                problem = OpenApiResponse(ProblemSerializer, description=TITLES.get(status, ""))
                responses[str(status)] = self._get_response_for_code(
                    problem, str(status), [CONTENT_TYPE]
                )
        return operation

    def _public(self) -> bool:
        return any(getattr(p, "public", False) for p in self.view.get_permissions())

    def _problem_statuses(self, operation: dict) -> set[int]:
        statuses = {401, 429, *getattr(self.view, "problem_statuses", ())}
        has_body = "requestBody" in operation
        if operation.get("parameters") or has_body:
            statuses.add(400)
        if not self._public():
            statuses.add(403)
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            statuses.add(404)
        if self.method == "POST":
            statuses |= {409, 422, 503}
        if has_body:
            statuses |= {413, 415}
        return statuses
