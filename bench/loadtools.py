"""Driving wrk, hey, nginx and py-spy for ``bench.load``, and reading what they print."""

import collections
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import free_port

RATE_WORKERS = 4
WORK = Path(__file__).parent / ".work"


def work_file(name: str) -> Path:
    """A scratch file of the benchmarks (bench/.work is not in the repository)."""
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK / name


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def lua_script(
    method: str,
    body: bytes,
    headers: dict[str, str],
    *,
    unique_ref: bool,
    prefix: str,
    pace_ms: float | None = None,
) -> str:
    """A wrk script sending ``method`` with ``body``; with ``unique_ref``, each request
    carries its own external_ref; with ``pace_ms``, each connection waits that long
    between requests (a fixed rate of connections * 1000 / pace_ms)."""
    all_headers = {**headers, "Content-Type": "application/json"} if body else dict(headers)
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in all_headers.items()]
    if unique_ref:
        template = body.decode().replace("set by the load script", "%s")
        lines += [
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            f'  local ref = string.format("{prefix}-%d-%d", math.random(1, 1000000000), counter)',
            f"  return wrk.format(nil, nil, nil, string.format([[{template}]], ref))",
            "end",
        ]
    elif body:
        lines.append(f"wrk.body = [[{body.decode()}]]")
    if pace_ms is not None:
        lines.append(f"delay = function() return {pace_ms:.0f} end")
    return "\n".join(lines) + "\n"


def wrk(url: str, lua: str, *, connections: int, seconds: int) -> Run:
    script = work_file("request.lua")
    script.write_text(lua)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    output = _run([*command, url])
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    assert rate, output
    return Run(
        requests_per_second=float(rate.group(1)),
        p50_ms=_wrk_latency(output, "50%"),
        p99_ms=_wrk_latency(output, "99%"),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    )


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _wrk_latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def hey(
    url: str, method: str, body: bytes, headers: dict[str, str], *, rate: int, seconds: int
) -> Run:
    """``hey -q``: RATE_WORKERS workers at rate/RATE_WORKERS requests/s each (hey's
    workers tick in step: more of them means bursts of simultaneous arrivals)."""
    command = ["hey", "-z", f"{seconds}s", "-c", str(RATE_WORKERS), "-q", str(rate // RATE_WORKERS)]
    command += ["-m", method]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if body:
        command += ["-T", "application/json", "-d", body.decode()]
    output = _run([*command, url])
    rate_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    statuses = re.findall(r"\[(\d{3})\]\s+(\d+) responses", output)
    assert rate_match, output
    assert statuses, output
    errors = sum(int(count) for status, count in statuses if not status.startswith("2"))
    _, _, failures = output.partition("Error distribution:")
    errors += sum(int(count) for count in re.findall(r"^\s+\[(\d+)\]", failures, re.MULTILINE))
    return Run(
        requests_per_second=float(rate_match.group(1)),
        p50_ms=_hey_latency(output, "50%"),
        p99_ms=_hey_latency(output, "99%"),
        errors=errors,
    )


def _hey_latency(output: str, percentile: str) -> float:
    match = re.search(rf"{percentile} in ([\d.]+) secs", output)
    assert match, output
    return float(match.group(1)) * 1000


def rss_mib(pid: int) -> float:
    """The largest resident set among the process and its children (the workers)."""
    sizes = []
    for process_id in [pid, *_children(pid)]:
        status = Path(f"/proc/{process_id}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        sizes.append(int(match.group(1)) / 1024 if match else 0.0)
    return max(sizes)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def wait_until_up(base_url: str, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base_url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(base_url + "/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError(f"{base_url} did not come up:\n{log.read_text()}")


@contextmanager
def nginx(ports: list[int], work: Path) -> Iterator[str]:
    """nginx on loopback in front of ``ports``, kept-alive connections to each."""
    port = free_port()
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"    server 127.0.0.1:{upstream};" for upstream in ports)
    config = prefix / "nginx.conf"
    config.write_text(
        f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  upstream jalon {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://jalon;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }}
  }}
}}
"""
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(config)])
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base_url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


COMPONENTS = (
    ("asyncpg", ("asyncpg/",)),
    ("uvicorn and the event loop", ("uvicorn/", "asyncio/", "uvloop/")),
    ("logging", ("logging/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("FastAPI and Starlette", ("fastapi/", "starlette/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("prometheus_client", ("prometheus_client/",)),
    ("jalon (app/)", ("app/",)),
)


def profile(pid: int, url: str, lua: str, *, seconds: int = 8, top: int = 6) -> list[str]:
    """Where a process spends its time under wrk, by py-spy: the share of each
    component (by the file of the innermost frame), then the top functions."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return ["(py-spy is not installed: pip install py-spy)"]
    out = work_file("profile.txt")
    script = work_file("profile.lua")
    script.write_text(lua)
    load = subprocess.Popen(
        ["wrk", "-t1", "-c32", f"-d{seconds + 3}s", "-s", str(script), url],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(1)
        subprocess.run(
            [str(spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "-f", "raw",
             "-o", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
    finally:
        load.wait()
    raw = out.read_text()
    return [*component_shares(raw), "top functions: " + "; ".join(top_self_time(raw, top))]


def component_shares(raw: str) -> list[str]:
    """py-spy's raw stacks -> the share of self time of each component, main thread."""
    shares: collections.Counter[str] = collections.Counter()
    for stack, count in _main_thread_samples(raw):
        frame = stack.split(";")[-1]
        name = next(
            (label for label, parts in COMPONENTS if any(part in frame for part in parts)),
            "other (Python runtime, orjson, hashlib...)",
        )
        shares[name] += count
    total = sum(shares.values()) or 1
    return [f"{name} {100 * count / total:.0f}%" for name, count in shares.most_common()]


def _main_thread_samples(raw: str) -> Iterator[tuple[str, int]]:
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and "WorkerThread" not in stack:
            yield stack, int(count)


def top_self_time(raw: str, top: int) -> list[str]:
    """py-spy's raw (folded) stacks -> "function (file) NN%" by self time, main thread."""
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for stack, count in _main_thread_samples(raw):
        frame = re.sub(r":\d+\)$", ")", stack.split(";")[-1])
        own[frame] += count
        total += count
    return [f"{frame} {100 * count / total:.0f}%" for frame, count in own.most_common(top)]
