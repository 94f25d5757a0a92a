"""bench/RESULTS.md holds one section per benchmark; each run rewrites its own."""

import datetime as dt
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\nEach section is rewritten by the script it names, at its latest run.\n"
)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_section(name: str, lines: list[str], page: Path = RESULTS) -> None:
    """Rewrites the section ``name`` of ``page`` (bench/RESULTS.md unless said)."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    stamp = f"Latest run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC."
    section = "\n".join([start, *lines[:1], "", stamp, *lines[1:], end])
    text = page.read_text() if page.exists() else HEADER
    if page == RESULTS and not text.startswith("# Benchmark results"):
        text = HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{section}\n"
    )
    page.write_text(text if text.endswith("\n") else text + "\n")


def sections_of(page: Path) -> list[str]:
    """The sections :func:`write_section` wrote into ``page``, as they are."""
    text = page.read_text() if page.exists() else ""
    pattern = re.compile(r"<!-- ([\w-]+) -->.*?<!-- /\1 -->", re.DOTALL)
    return [match.group(0) for match in pattern.finditer(text)]
