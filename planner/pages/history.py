"""Scenario history pages: the versions, one version against the current scenario, restoring
it, deleting a scenario and the owner's recently-deleted list. Thin: the rules are in
planner/history.py (versions, compare, restore) and planner/retention.py (soft delete)."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.history import name_related
from planner import history, retention
from planner.access import owned_scenario
from planner.models import Scenario

#: Versions per page of a scenario's history.
PAGE_SIZE = 50


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10**6))
    except ValueError:
        return 1


@login_required
def scenario_history(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    page = page_number(request)
    count, entries = history.entries_page(scenario, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render(request, "planner/history.html", {
        "scenario": scenario,
        "entries": name_related(Scenario, entries),  # the owner by username
        "count": count,
        "page": page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page * PAGE_SIZE < count else None,
        "current": count,
    })


def found_version(scenario, number: int) -> history.Version:
    version = history.get_version(scenario, number)
    if version is None:
        raise Http404("No such version")
    return version


@login_required
def scenario_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    version = found_version(scenario, number)
    content = version.content
    user = version.record.history_user
    return render(request, "planner/version.html", {
        "scenario": scenario,
        "version": version,
        "who": user.get_username() if user is not None else None,
        "differences": history.compare(version, scenario),
        "document": json.dumps(content["spec"] if content["spec"] is not None
                               else content["problem"], indent=2, sort_keys=True),
        "document_kind": "Scenario spec v1" if content["spec"] is not None else "Problem v1",
        "latest": history.versions(scenario).count(),
    })


@login_required
@require_POST
def scenario_version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    version = found_version(scenario, number)
    try:
        history.restore(scenario, version, request.user)
    except history.RestoreError as exc:
        reasons = "; ".join(f"{path}: {problems[0]}" for path, problems in exc.errors.items())
        messages.error(request, f"{exc} ({reasons})")
        return redirect("planner:scenario-version", pk=pk, number=number)
    messages.success(request, f"Restored version {number}; the version it replaced stays in "
                              "the history.")
    return redirect("planner:scenario", pk=pk)


@login_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = retention.soft_delete(owned_scenario(request, pk), request.user)
    until = retention.purge_after(scenario)
    messages.success(
        request,
        f"Deleted “{scenario.name}”. You can restore it from Recently deleted until "
        f"{until:%Y-%m-%d %H:%M} UTC.",
    )
    return redirect("planner:home")


@login_required
def deleted_scenarios(request: HttpRequest) -> HttpResponse:
    scenarios = list(retention.deleted_visible_to(request.user)[:100])
    for scenario in scenarios:
        scenario.purge_after = retention.purge_after(scenario)
    return render(request, "planner/deleted.html", {
        "scenarios": scenarios,
        "retention_days": f"{settings.SCENARIO_RETENTION_DAYS:g}",
    })


@login_required
@require_POST
def scenario_undelete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = retention.undelete(
        retention.owned_deleted_scenario(request.user, pk), request.user
    )
    messages.success(request, f"Restored “{scenario.name}”.")
    return redirect("planner:scenario", pk=pk)
