"""drf-spectacular hooks."""


def canonical_paths(endpoints: list[tuple], **kwargs) -> list[tuple]:
    """Document API paths without a trailing slash, as the issues and docs name them.

    The routes accept both forms (config.routers.OptionalSlashRouter); the schema shows one.
    """
    result = []
    for path, path_regex, method, callback in endpoints:
        if path.startswith("/api/v1/") and path.endswith("/") and not path.endswith("}/"):
            path = path.rstrip("/")
        elif path.endswith("}/"):
            path = path[:-1]
        result.append((path, path_regex, method, callback))
    return result


ERROR_REF = {"$ref": "#/components/schemas/Error"}
SAFE_METHODS = {"get", "head", "options"}
BODY_METHODS = {"post", "put", "patch"}
# Statuses any API operation can answer, whatever the view: the error shape for each.
EVERY_OPERATION = {
    400: "Invalid input (a query parameter, the body, a bad Content-Length): `errors` maps "
         "each field path to its messages.",
    401: "Not authenticated, or the token / session given is not valid "
         "(`WWW-Authenticate: Token`).",
    404: "Not found, not visible to the caller, or an unknown `format`.",
    405: "Method not allowed (the path answers other methods).",
    406: "Not acceptable: no representation matches the Accept header.",
    413: "Request body too large.",
    429: "Throttled: too many requests; `Retry-After` says how many seconds to wait.",
}
WRITES = {
    403: "Not allowed: the caller lacks the permission, or a session write without its CSRF "
         "token.",
}
BODIES = {415: "Unsupported media type: send JSON."}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
        "description": "Seconds until the throttle lets this caller in again.",
    }
}


def document_every_answer(result: dict, generator=None, request=None, public=None) -> dict:
    """Postprocessing hook: every operation lists every status it can answer.

    Views document their own answers (201, 409, a 400 with its own schema ...); the statuses
    the framework answers for any view (authentication, throttling, body limits, content
    negotiation) are added here in one place, each with the one error shape of
    config/exceptions.py, and 429 with its `Retry-After` header.
    """
    result.setdefault("components", {}).setdefault("schemas", {})
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in SAFE_METHODS | BODY_METHODS | {"delete"}:
                continue
            statuses = dict(EVERY_OPERATION)
            if method not in SAFE_METHODS:
                statuses.update(WRITES)
            if method in BODY_METHODS:
                statuses.update(BODIES)
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses.setdefault(str(status), {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                })
            responses[str(429)].setdefault("headers", {}).update(RETRY_AFTER)
    return result
