"""Schemathesis's phases (examples, coverage, fuzzing) over the live schema, anonymous and with
a token, on the suite's database (.ci/run runs this on PostgreSQL and on SQLite).

Fails on any 5xx, any status an operation does not document and any answer outside the
schema. Bounded and repeatable in CI (fixed seed, positive coverage cases, a few fuzzed
examples per operation); `make fuzz` runs it with a fresh seed, every coverage case and a
larger budget:

    FUZZ_SEED=123 FUZZ_MAX_EXAMPLES=40 FUZZ_COVERAGE=all pytest tests/contract/test_phases.py -s
"""
import os

import pytest
from schemathesis import checks

from tests.contract import fuzzing

SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
COVERAGE = os.environ.get("FUZZ_COVERAGE", "positive")


@pytest.mark.parametrize("caller", ["anonymous", "token"])
def test_every_phase_for_each_caller(api_schema, staff_token, real_ids, caller):
    from config.wsgi import application

    headers = {"Authorization": f"Token {staff_token}"} if caller == "token" else {}
    report = fuzzing.run(application, seed=SEED, max_examples=MAX_EXAMPLES, caller=caller,
                         headers=headers, coverage_mode=COVERAGE)
    print(f"\n{report.line()}\n  statuses: {dict(sorted(report.statuses.items()))}")
    assert report.operations > 30
    assert report.by_phase["coverage"] > 0 and report.by_phase["fuzzing"] > 0
    assert not report.errors, "\n".join(report.errors)
    assert not report.failures, f"seed {SEED}:\n" + "\n".join(report.failures)


def test_a_throttled_answer_is_documented_with_retry_after(api_schema, real_ids, settings):
    """Every read an anonymous caller may make answers 429 with `Retry-After` once over the
    anonymous rate, and that answer matches the operation's schema."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "2/minute"},
    }
    from django.core.cache import cache

    seen = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue
        cache.clear()
        real = next((ids for prefix, ids in real_ids.items()
                     if operation.path.startswith(prefix)), {})
        names = {p.name for p in operation.path_parameters}
        case = operation.Case(path_parameters={k: v for k, v in real.items() if k in names}
                              if names else None)
        if names and set(case.path_parameters or {}) != names:
            case.path_parameters = {"file_format": "json", **(case.path_parameters or {})}
        for _ in range(3):
            response = case.call()
        assert response.status_code in {401, 429}, (operation.path, response.status_code)
        if response.status_code == 429:
            seen += 1
            assert int(response.headers["retry-after"][0]) > 0
            case.validate_response(response, checks=[
                checks.status_code_conformance, checks.content_type_conformance,
                checks.response_headers_conformance, checks.response_schema_conformance,
            ])
    assert seen >= 10
