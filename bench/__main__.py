"""Run the benchmark sections and write docs/benchmarks.md."""
import argparse
import datetime as dt
import importlib
import os
import pkgutil
import platform
import re
import sys
from pathlib import Path

import bench

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"
MARKER = "<!-- section: {} -->"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def sections() -> list[str]:
    return sorted(
        name.removeprefix("section_")
        for _, name, _ in pkgutil.iter_modules(bench.__path__)
        if name.startswith("section_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"sections to run (default all: {sections()})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    names = args.names or sections()
    unknown = sorted(set(names) - set(sections()))
    if unknown:
        parser.error(f"unknown sections {unknown}; known: {sections()}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    previous = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    bodies = {}
    for name in sections():
        found = re.search(
            re.escape(MARKER.format(name)) + r"\n(.*?)(?=\n<!-- section: |\Z)", previous, re.S
        )
        if found:
            bodies[name] = found.group(1).rstrip() + "\n"
    for name in names:
        module = importlib.import_module(f"bench.section_{name}")
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        started = dt.datetime.now(dt.UTC)
        body = module.run(quick=args.quick)
        bodies[name] = (
            f"## {module.TITLE}\n\n_Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}"
            f"{' (quick run)' if args.quick else ''}._\n\n{body.strip()}\n"
        )
    text = [
        "# Benchmarks\n",
        "Written by `make bench` (`python -m bench [section ...]`); each section says when and "
        "on what machine it was measured.\n",
    ]
    for name in sections():
        if name in bodies:
            text.append(MARKER.format(name) + "\n" + bodies[name])
    OUTPUT.write_text("\n".join(text), encoding="utf-8")
    print(f"bench: wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
