"""Schemathesis's engine over the live schema, in-process (WSGI), for the contract test and
`make fuzz`: phases examples, coverage and fuzzing, a fixed or fresh seed, bounded.

A failure is any 5xx, any status the operation does not document, or a response (content
type, headers, body) outside its schema.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events as ev
from schemathesis.engine import from_schema

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance"]
SCHEMA_PATH = "/api/v1/schema/?format=json"


@dataclass
class Report:
    seed: int
    caller: str
    requests: int = 0
    operations: int = 0
    by_phase: collections.Counter = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    checks: collections.Counter = field(default_factory=collections.Counter)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        phases = ", ".join(f"{k} {v}" for k, v in sorted(self.by_phase.items()))
        return (f"schemathesis seed={self.seed} caller={self.caller}: {self.requests} requests "
                f"over {self.operations} operations ({phases}); {len(self.failures)} failures, "
                f"{len(self.errors)} errors")


def config_for(seed: int, max_examples: int, headers: dict[str, str],
               coverage_mode: str) -> SchemathesisConfig:
    checks = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    return SchemathesisConfig.from_dict({
        "seed": seed,
        "workers": 1,
        "headers": headers,
        "checks": checks,
        "generation": {"max-examples": max_examples, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True, "generation": {"mode": coverage_mode}},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],
    })


def run(application, *, seed: int, max_examples: int, caller: str,
        headers: dict[str, str] | None = None,
        coverage_mode: str = "all") -> Report:
    config = config_for(seed, max_examples, headers or {}, coverage_mode)
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application, config=config)
    report = Report(seed=seed, caller=caller)
    labels = set()
    for event in from_schema(schema).execute():
        if isinstance(event, ev.ScenarioFinished):
            recorder = event.recorder
            labels.add(recorder.label)
            report.requests += len(recorder.interactions)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    report.statuses[interaction.response.status_code] += 1
            report.by_phase[str(event.phase)] += len(recorder.interactions)
            for checks in recorder.checks.values():
                for check in checks:
                    report.checks[f"{check.name}:{check.status}"] += 1
                    if check.failure_info is not None:
                        report.failures.append(
                            f"{recorder.label}: {check.name}: {check.failure_info.failure}"[:1500]
                        )
        elif isinstance(event, ev.NonFatalError):
            report.errors.append(f"{event.label}: {event.value!r}"[:1500])
        elif isinstance(event, ev.FatalError):
            report.errors.append(f"fatal: {event.exception!r}"[:1500])
    report.operations = len(labels)
    report.failures = sorted(set(report.failures))
    return report
