"""A scenario's versions: list them, view one, compare it with the current scenario, restore it.

Every save of a scenario is a version (django-simple-history, with the request's user); the
numbering is per scenario, 1 for its first. What a version holds and what restoring puts back
is the scenario's content — name, description, spec or problem — never its owner, share link
or deletion mark. Restoring is itself a new version ("Restored version N"), so nothing is
overwritten. Used by the API (planner/api/views.py) and the pages (planner/pages/history.py).
"""
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from config.history import Change, Entry, field_changes, history_page, version_number
from planner import solver
from planner.bridge.problems import ScenarioSpecError, validate_spec
from planner.models import Run, Scenario

#: What a version holds and restore puts back.
CONTENT_FIELDS = ("name", "description", "spec", "problem")
JSON_FIELDS = ("spec", "problem")
MAX_VERSION = 10**9


class RestoreError(Exception):
    """The version no longer makes a valid scenario (e.g. its spec names a deleted row)."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class Version:
    """One version of a scenario as the pages and the API show it."""

    number: int
    record: Any  # the historical row

    @property
    def content(self) -> dict[str, Any]:
        return {name: getattr(self.record, name) for name in CONTENT_FIELDS}


def versions(scenario: Scenario) -> QuerySet:
    """The scenario's historical rows (any order: callers order them)."""
    return Scenario.history.filter(id=scenario.pk)


def entries_page(scenario: Scenario, offset: int, limit: int) -> tuple[int, list[Entry]]:
    """(count, entries newest first): who changed what when. A change of the deletion mark
    reads as `deleted` / `restored`."""
    count, page = history_page(versions(scenario), offset, limit)
    for entry in page:
        for change in entry.changes:
            if change.field == "deleted_at":
                entry.type = "deleted" if change.new is not None else "restored"
        entry.changes = [c for c in entry.changes if c.field not in ("deleted_at", "created_at")]
    return count, page


def get_version(scenario: Scenario, number: int) -> Version | None:
    """Version `number` (1-based) of the scenario, or None when there is no such version."""
    if not 1 <= number <= MAX_VERSION:  # a huge number is no version, not a database error
        return None
    record = versions(scenario).order_by("history_id")[number - 1:number].first()
    return Version(number, record) if record is not None else None


def version_of_record(record: Any) -> Version:
    return Version(version_number(Scenario.history.filter(id=record.id), record.history_id),
                   record)


def current_version(scenario: Scenario) -> Any:
    """The historical row that holds the scenario as it is now. A scenario saved before
    history was kept has none: its first version is recorded here."""
    latest = versions(scenario).order_by("-history_id").first()
    if latest is None:
        Scenario.history.bulk_history_create(
            [scenario], default_change_reason="History begins"
        )
        latest = versions(scenario).order_by("-history_id").first()
    return latest


def compare(version: Version, scenario: Scenario) -> list[Change]:
    """What differs between the version and the scenario now, field by field (inside the
    spec, key by key): `old` is the version's value, `new` the current one."""
    current = {name: getattr(scenario, name) for name in CONTENT_FIELDS}
    return field_changes(version.content, current, CONTENT_FIELDS, JSON_FIELDS)


@transaction.atomic
def restore(scenario: Scenario, version: Version, user: Any = None) -> Scenario:
    """Make the version's content the scenario's again, as a new version. Raises
    `RestoreError` when the content no longer validates (a spec naming a row that is gone)."""
    content = version.content
    errors: dict[str, list[str]] = {}
    try:
        if content["spec"] is not None:
            validate_spec(content["spec"])  # stored as it was given, as the API does
        elif content["problem"] is not None:
            solver.validate_problem(content["problem"])
    except ScenarioSpecError as exc:
        errors = {f"spec.{key}": value for key, value in exc.errors.items()}
    except solver.ProblemError as exc:
        errors = {f"problem.{key}": value for key, value in exc.errors.items()}
    if errors:
        raise RestoreError(
            f"Version {version.number} no longer makes a valid scenario: the catalog has "
            "changed since. Edit the scenario instead.", errors,
        )
    for name, value in content.items():
        setattr(scenario, name, value)
    scenario._change_reason = f"Restored version {version.number}"
    if user is not None and user.is_authenticated:
        scenario._history_user = user
    scenario.save()
    return scenario


def run_version(run: Run) -> Version | None:
    """The scenario version the run solved; None for runs queued before history was kept."""
    if run.scenario_version_id is None or run.scenario_version is None:
        return None
    return version_of_record(run.scenario_version)
