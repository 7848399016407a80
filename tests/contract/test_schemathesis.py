"""The live OpenAPI schema against the API, with schemathesis (bounded, fixed seed).

Every operation of /api/v1/schema/ gets generated requests (valid and invalid) sent as a
staff user with a token over a seeded catalog; the test fails on any 5xx, an undocumented
status code, a content type or body that does not match the schema. Bounded by
MAX_EXAMPLES per operation and derandomized, so a run is repeatable and takes well under
two minutes. `REQUESTS` counts what was sent (printed with `pytest -s`).
"""
import collections

from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

MAX_EXAMPLES = 6
REQUESTS: collections.Counter = collections.Counter()
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def exercise(operation, label: str, token: str, real: dict[str, object] | None) -> None:
    """Send MAX_EXAMPLES generated requests to one operation and check each response; every
    other request addresses the real object `real` names (when the path has parameters)."""
    sent = [0]

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        sent[0] += 1
        if real and case.path_parameters and sent[0] % 2:
            case.path_parameters = {**case.path_parameters, **real}
        response = case.call(headers={"Authorization": f"Token {token}"})
        REQUESTS[label] += 1
        case.validate_response(response, checks=CHECKS)

    run()


def test_api_matches_its_schema(api_schema, staff_token, real_ids):
    """Drives every operation with hypothesis directly (schemathesis's pytest plugin does not
    support pytest 9 yet); collects the failures and reports them all at the end."""
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Deletes last, so the real objects are still there for every other operation.
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    assert len(operations) > 30
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"

        try:
            real = next(
                (ids for prefix, ids in real_ids.items() if operation.path.startswith(prefix)),
                None,
            )
            exercise(operation, label, staff_token, real)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
            failures[label] = f"{type(exc).__name__}: {exc}"[:2000]
    total = sum(REQUESTS.values())
    print(f"\nschemathesis: {total} requests over {len(REQUESTS)} operations, "
          f"{len(failures)} failing")
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
