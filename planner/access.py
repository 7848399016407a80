"""Who may see a scenario, share tokens and duplicates: shared by the pages and the REST API.

A scenario is seen by its owner, by staff, and read-only by anyone who opened its share link
(`/s/<token>/`) while the token is current: the session remembers the token it was opened with,
so regenerating the token takes the old link and every session that used it away at once.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from planner.models import Run, Scenario, new_share_token

SESSION_KEY = "shared_scenarios"
RECENT_LIMIT = 20


def regenerate_share_token(scenario: Scenario) -> str:
    """Give the scenario a fresh share token; the old link answers 404 from now on."""
    scenario.share_token = new_share_token()
    scenario.save(update_fields=["share_token", "updated_at"])
    return scenario.share_token


@transaction.atomic
def duplicate_scenario(scenario: Scenario, owner) -> Scenario:
    """A copy of what the scenario solves, owned by `owner`, with a new token and no runs."""
    return Scenario.objects.create(
        name=f"{scenario.name} (copy)"[:200],
        description=scenario.description,
        owner=owner,
        spec=scenario.spec,
        problem=scenario.problem,
    )


def remember_shared(session, scenario: Scenario) -> None:
    """Note in the session that this viewer opened the scenario's current share link."""
    opened = dict(session.get(SESSION_KEY, {}))
    opened.pop(str(scenario.pk), None)
    opened[str(scenario.pk)] = scenario.share_token
    session[SESSION_KEY] = dict(list(opened.items())[-RECENT_LIMIT:])


def recently_shared(session) -> list[Scenario]:
    """Scenarios whose share link this session opened, most recent first, still current."""
    opened = session.get(SESSION_KEY, {})
    found = Scenario.objects.in_bulk([int(pk) for pk in opened])
    return [
        found[int(pk)]
        for pk, token in reversed(list(opened.items()))
        if int(pk) in found and found[int(pk)].share_token == token
    ]


def is_owner(user, scenario: Scenario) -> bool:
    # A deleted scenario is nobody's to use (planner/retention.py restores it first); a run or
    # sweep still reaches it through its foreign key, so the check is here too.
    return bool(
        user.is_authenticated
        and scenario.deleted_at is None
        and (user.is_staff or scenario.owner_id == user.pk)
    )


def scenarios_visible_to(user) -> QuerySet[Scenario]:
    """The user's own scenarios (staff: all). Others reach a scenario by its share token."""
    if not user.is_authenticated:
        return Scenario.objects.none()
    if user.is_staff:
        return Scenario.objects.all()
    return Scenario.objects.filter(owner=user)


def owned_scenario(request, pk: int) -> Scenario:
    """The scenario `pk` if the request's user owns it (or is staff); 404 otherwise, so a
    stranger cannot tell a scenario that exists from one that does not."""
    scenario = get_object_or_404(Scenario, pk=pk)
    if not is_owner(request.user, scenario):
        raise Http404("No scenario here")
    return scenario


def can_view(request, scenario: Scenario) -> bool:
    if scenario.deleted_at is not None:
        return False
    if is_owner(request.user, scenario):
        return True
    return request.session.get(SESSION_KEY, {}).get(str(scenario.pk)) == scenario.share_token


def visible_runs(request, run_ids: list[int]) -> list[Run]:
    """The runs among `run_ids` this request may see, in the order asked for."""
    runs = Run.objects.select_related("scenario").in_bulk(run_ids)
    return [runs[i] for i in run_ids if i in runs and can_view(request, runs[i].scenario)]
