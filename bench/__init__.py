"""`make bench`: speed and memory figures, written to docs/benchmarks.md.

Each `bench/section_*.py` module defines `TITLE: str` and `run(quick: bool) -> str` (a Markdown
section). `python -m bench` runs them all (or those named: `python -m bench solver pages`) and
rewrites docs/benchmarks.md with the machine and the date.
"""
