"""Bill of materials of a layout: servers and racks by kind, with counts, power and prices.

Pure function over result v1 and its problem v1 (whose servers carry `cost_usd`), so the
result page and the REST exports (CSV/XLSX) list the same rows.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class BomRow:
    item: str
    kind: str  # "server" or "rack"
    count: int
    unit_u: int
    unit_power_w: float | None
    unit_price_usd: float | None

    @property
    def total_price_usd(self) -> float | None:
        return None if self.unit_price_usd is None else self.unit_price_usd * self.count

    @property
    def total_power_kw(self) -> float | None:
        return None if self.unit_power_w is None else self.unit_power_w * self.count / 1000


COLUMNS = [
    "item",
    "kind",
    "count",
    "unit_u",
    "unit_power_w",
    "unit_price_usd",
    "total_power_kw",
    "total_price_usd",
]


def bom_rows(problem: dict, result: dict) -> list[BomRow]:
    """Placed servers (catalog order) then racks used, each with its count over the hall."""
    servers = {server["name"]: server for server in problem.get("servers", [])}
    racks = {rack["name"]: rack for rack in problem.get("rack_types", [])}
    by_server = (result.get("totals") or {}).get("by_server") or {}
    rows = [
        BomRow(
            item=name,
            kind="server",
            count=int(by_server.get(name, 0)),
            unit_u=server["u"],
            unit_power_w=server["power_w"],
            unit_price_usd=server.get("cost_usd"),
        )
        for name, server in servers.items()
        if by_server.get(name)
    ]
    used_racks: dict[str, int] = {}
    for group in result.get("racks", []):
        if group["servers"]:
            used_racks[group["rack_type"]] = used_racks.get(group["rack_type"], 0) + group["count"]
    rows += [
        BomRow(
            item=name,
            kind="rack",
            count=count,
            unit_u=racks[name]["u"],
            unit_power_w=None,
            unit_price_usd=None,
        )
        for name, count in used_racks.items()
    ]
    return rows


def bom_table(rows: list[BomRow]) -> list[list]:
    """Header and rows as plain values, for CSV and XLSX writers."""
    return [COLUMNS] + [
        [
            row.item,
            row.kind,
            row.count,
            row.unit_u,
            row.unit_power_w,
            row.unit_price_usd,
            row.total_power_kw,
            row.total_price_usd,
        ]
        for row in rows
    ]
