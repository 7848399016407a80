"""What every solution method returns to ``solve()``: filled racks and a status, before formatting.

The methods (``compact``, ``patterns``, ``greedy``) differ in how they search; they agree on this
hand-over, so grouping, totals and the result format (:mod:`planner.solver.layout`) and the
final check are shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: Progress hook a method calls: ``emit(phase, incumbent=..., bound=..., **extra)``.
Emit = Callable[..., None]


@dataclass(frozen=True)
class RackFill:
    """Contents of one physical rack, as produced by a solution method.

    ``items`` are ``(server index, model, count)`` with count > 0. ``train`` is the power train
    (0-based) the rack hangs on when the problem has ``power_trains``, else ``None``.
    """

    rack_type: int
    items: tuple[tuple[int, str, int], ...]
    train: int | None = None

    @classmethod
    def of(
        cls, rack_type: int, counts: Mapping[tuple[int, str], int], train: int | None = None
    ) -> RackFill:
        """A rack from ``{(server index, model): count}``, items in canonical (sorted) order."""
        return cls(rack_type, tuple(sorted((s, m, k) for (s, m), k in counts.items())), train)

    def on(self, train: int | None) -> RackFill:
        """The same rack on another power train."""
        return RackFill(self.rack_type, self.items, train)


#: "Any number of racks" for :meth:`ModelDealer.runs`.
MANY = 2**62


class ModelDealer:
    """Deals the servers' models out to racks.

    A method decides how many servers of each SKU go in each rack and, separately, how many of
    each SKU serve each model (that is all the constraints depend on). The dealer hands the
    models out in the order given, rack after rack, so each model's servers stay together in as
    few racks as possible.
    """

    def __init__(self, assignments: Iterable[tuple[int, str, int]]) -> None:
        """``assignments``: ``(server index, model, servers)``; counts <= 0 are skipped."""
        self._queues: dict[int, list[list]] = {}
        for s, m, n in assignments:
            if n > 0:
                self._queues.setdefault(s, []).append([m, n])

    def runs(self, sku: int, need: int) -> int:
        """How many racks in a row can take ``need`` servers of ``sku`` from the current model
        alone (so they get identical items and may be dealt at once, see :meth:`deal_many`)."""
        queue = self._queues.get(sku, [])
        if not queue:
            return MANY  # nothing left to deal: any number of racks get none alike
        return queue[0][1] // need if need > 0 else MANY

    def deal_many(self, sku: int, need: int, racks: int, into: dict[tuple[int, str], int]) -> None:
        """Deal ``need`` servers of ``sku`` to each of ``racks`` identical racks (``racks`` at
        most :meth:`runs`); ``into`` receives one rack's share."""
        queue = self._queues.get(sku, [])
        if not queue or need <= 0:
            return
        m = queue[0][0]
        into[(sku, m)] = into.get((sku, m), 0) + need
        queue[0][1] -= need * racks
        if queue[0][1] == 0:
            queue.pop(0)

    def deal(self, sku: int, need: int, into: dict[tuple[int, str], int]) -> None:
        """Add up to ``need`` servers of ``sku`` to the rack ``into``, taking models in turn.

        Servers beyond what the assignments cover are left out (they serve no model).
        """
        queue = self._queues.get(sku, [])
        while need > 0 and queue:
            m, left = queue[0]
            take = min(need, left)
            into[(sku, m)] = into.get((sku, m), 0) + take
            need -= take
            queue[0][1] -= take
            if queue[0][1] == 0:
                queue.pop(0)


@dataclass(frozen=True)
class Outcome:
    """A method's answer.

    ``status`` is optimal / feasible / infeasible / unknown. ``racks`` lists the filled physical
    racks (racks left empty may be left out; the layout adds them back) or is ``None`` when there
    is no layout. ``bound`` is the method's proven bound on the objective, in the objective's own
    sense and unit. ``reason`` explains infeasible / unknown (see
    :mod:`planner.solver.infeasibility`).
    """

    status: str
    racks: tuple[RackFill, ...] | None
    bound: float | None
    reason: str | None = None


#: Former name, from when only the compact method existed.
ExactOutcome = Outcome
