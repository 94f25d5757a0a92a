"""bench.load's readings of what wrk, hey and py-spy print."""

import pytest

from bench import loadtools

WRK = """Running 10s test @ http://127.0.0.1:8000/v1/parcours?limit=20
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.61ms    9.02ms 102.19ms   81.31%
    Req/Sec     2.19k   295.30     2.63k    78.00%
  Latency Distribution
     50%   12.51ms
     75%   16.93ms
     90%   23.58ms
     99%  850.00us
  21876 requests in 10.00s, 32.47MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2187.61
Transfer/sec:      3.25MB
"""

HEY = """
Summary:
  Total:	10.0042 secs
  Requests/sec:	199.6161

Latency distribution:
  10% in 0.0012 secs
  50% in 0.0023 secs
  99% in 0.0151 secs

Status code distribution:
  [200]	1990 responses
  [503]	7 responses

Error distribution:
  [3]	Get "http://127.0.0.1:8000/x": dial tcp: connection refused
"""


def test_wrk_output_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadtools, "_run", lambda command: WRK)
    run = loadtools.wrk("http://x/", "", connections=32, seconds=10)
    assert run.requests_per_second == 2187.61
    assert (run.p50_ms, run.p99_ms) == (12.51, 0.85)
    assert run.errors == 4 + 3  # non-2xx answers and socket errors


def test_hey_output_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadtools, "_run", lambda command: HEY)
    run = loadtools.hey("http://x/", "GET", b"", {}, rate=200, seconds=10)
    assert run.requests_per_second == 199.6161
    assert (run.p50_ms, run.p99_ms) == pytest.approx((2.3, 15.1))
    assert run.errors == 7 + 3  # answers other than 2xx and failed requests


def test_a_creating_script_gives_each_request_its_own_reference() -> None:
    script = loadtools.lua_script(
        "POST", b'{"external_ref": "set by the load script"}', {"A": "b"}, unique_ref=True,
        prefix="p", pace_ms=20,
    )  # fmt: skip
    assert 'string.format("p-%d-%d"' in script
    assert '{"external_ref": "%s"}' in script
    assert "delay = function() return 20 end" in script
    plain = loadtools.lua_script("PUT", b'{"hours": 1}', {}, unique_ref=False, prefix="p")
    assert 'wrk.body = [[{"hours": 1}]]' in plain
    assert "delay" not in plain


def test_py_spy_stacks_become_self_time_shares() -> None:
    raw = "\n".join(
        [
            "main (a.py:1);handle (b.py:2);fetch (c.py:3) 6",
            "main (a.py:1);handle (b.py:9) 3",
            "Thread;WorkerThread.run (t.py:1);wait (t.py:2) 50",
            "main (a.py:1);handle (b.py:2);fetch (c.py:4) 1",
        ]
    )
    assert loadtools.top_self_time(raw, 2) == ["fetch (c.py) 70%", "handle (b.py) 30%"]


def test_py_spy_stacks_are_shared_out_by_component() -> None:
    raw = "\n".join(
        [
            "run (uvicorn/main.py:1);fetch (asyncpg/connection.py:3) 5",
            "run (uvicorn/main.py:1);solve (fastapi/dependencies/utils.py:9) 3",
            "run (uvicorn/main.py:1);page (app/sql.py:4) 2",
        ]
    )
    assert loadtools.component_shares(raw) == [
        "asyncpg 50%",
        "FastAPI and Starlette 30%",
        "jalon (app/) 20%",
    ]
