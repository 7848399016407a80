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
