"""Every limit docs/api.md states is the one the settings enforce."""

import re
from pathlib import Path

from django.conf import settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
UNITS = {"MiB": 2**20, "KiB": 2**10, "": 1}


def documented_limits() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8").split("## Limits (environment)")[1].split("\n## ")[0]
    return dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+?) \|", text, re.M))


def number(text: str) -> float:
    match = re.fullmatch(r"([\d,.]+) ?(MiB|KiB|)", text.strip())
    assert match, f"not a figure with a unit: {text!r}"
    return float(match.group(1).replace(",", "")) * UNITS[match.group(2)]


def test_every_documented_limit_matches_its_setting():
    docs = documented_limits()
    enforced = {
        "DATA_UPLOAD_MAX_MEMORY_SIZE": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "FILE_UPLOAD_MAX_MEMORY_SIZE": settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
        "CATALOG_IMPORT_MAX_BYTES": settings.CATALOG_IMPORT_MAX_BYTES,
        "PROBLEM_MAX_RACK_TYPES": settings.PROBLEM_LIMITS["rack_types"],
        "PROBLEM_MAX_RACKS": settings.PROBLEM_LIMITS["racks"],
        "PROBLEM_MAX_SERVERS": settings.PROBLEM_LIMITS["servers"],
        "PROBLEM_MAX_MODELS": settings.PROBLEM_LIMITS["models"],
    }
    assert set(enforced) <= set(docs)
    for name, value in enforced.items():
        assert number(docs[name]) == value, f"docs/api.md says {name} = {docs[name]}"
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert docs["THROTTLE_ANON"].strip("` ") == rates["anon"]
    assert docs["THROTTLE_USER"].strip("` ") == rates["user"]
    # The example error message quotes the enforced limit too.
    assert f"the limit is {settings.PROBLEM_LIMITS['racks']}" in DOC.read_text().replace("\n", " ")
