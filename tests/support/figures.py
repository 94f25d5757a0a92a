"""Figures the reliability tests measure: printed, and kept as JSON lines in the file
that JALON_RELIABILITY_FIGURES names (``python -m bench.reliability`` sets it and turns
them into RELIABILITY.md)."""

import os
from pathlib import Path

import orjson

FIGURES_ENV = "JALON_RELIABILITY_FIGURES"


def record(scenario: str, **figures: object) -> None:
    print(f"\n{scenario}: " + ", ".join(f"{name}={value}" for name, value in figures.items()))
    path = os.environ.get(FIGURES_ENV)
    if path:
        with Path(path).open("ab") as output:
            output.write(orjson.dumps({"scenario": scenario, "figures": figures}) + b"\n")
