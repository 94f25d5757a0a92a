"""Receivers that try to hold a worker or its memory: an answer that trickles in byte by
byte meets the attempt's total deadline, a huge answer is read a few KiB far."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from app.keys.models import Role
from app.settings import Settings
from app.webhooks.dispatcher import ANSWER_BYTES
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_structure, mission_body
from tests.webhooks.test_delivery import dispatcher_for, drain, subscribe

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"


@contextmanager
def raw_receiver(answer: Callable[[socket.socket], int]) -> Iterator[tuple[str, list[int]]]:
    """A listener on 127.0.0.1 that reads a request and answers with ``answer``, which
    returns how many bytes it managed to send: (url, bytes sent per connection)."""
    listener = socket.create_server(("127.0.0.1", 0))
    sent: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                sent.append(answer(connection))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", sent
    finally:
        listener.close()


def trickle(connection: socket.socket) -> int:
    """Headers, then a byte every 0.2 s for up to 10 s."""
    sent = 0
    try:
        connection.sendall(HEAD + b"content-length: 1000\r\n\r\n")
        for _ in range(50):
            connection.sendall(b"x")
            sent += 1
            time.sleep(0.2)
    except OSError:
        pass
    return sent


def flood(connection: socket.socket) -> int:
    """A 100 MB answer, as fast as the client takes it."""
    sent = 0
    chunk = b"x" * 65536
    try:
        connection.sendall(HEAD + f"content-length: {100 * 2**20}\r\n\r\n".encode())
        connection.settimeout(5)
        while sent < 100 * 2**20:
            connection.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    return sent


async def deliveries_to(
    url: str,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    settings: Settings,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> list[dict[str, object]]:
    structure = await create_structure(client, admin_headers)
    company = await create_company(client, admin_headers)
    key = bearer(await make_key(Role.company, company_id=company["id"]))
    subscription = await subscribe(client, key, url, ["mission.created"])
    created = await client.post("/v1/missions", headers=key, json=mission_body(structure["id"]))
    assert created.status_code == 201, created.text
    # a deadline of 1 s; a failed attempt is retried in 60 s, after this test
    dispatcher = dispatcher_for(
        connection, settings, webhook_timeout_seconds=1.0, webhook_retry_base_seconds=60
    )
    await drain(dispatcher, quiet=0.5, until=10)
    log = await client.get(f"/v1/webhooks/{subscription['id']}/deliveries", headers=key)
    [delivery] = log.json()["items"]
    attempts: list[dict[str, object]] = delivery["log"]
    return attempts


async def test_a_trickling_answer_is_cut_at_the_attempts_deadline(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    settings: Settings,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    with raw_receiver(trickle) as (url, _):
        [attempt] = await deliveries_to(url, client, connection, settings, admin_headers, make_key)
    assert attempt["error"] == "timeout"
    assert attempt["status_code"] is None
    assert isinstance(attempt["duration_ms"], int)
    assert attempt["duration_ms"] < 2_000  # the 1 s deadline, not the 10 s trickle


async def test_a_huge_answer_is_read_a_few_kib_far(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    settings: Settings,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    with raw_receiver(flood) as (url, sent):
        [attempt] = await deliveries_to(url, client, connection, settings, admin_headers, make_key)
    assert attempt["status_code"] == 200
    assert ANSWER_BYTES <= 8192
    assert sent  # the answer ended (jalon closed) while the dispatcher drained
    # what the kernel's buffers took before jalon closed: far from the 100 MB offered
    assert sent[0] < 16 * 2**20, sent
