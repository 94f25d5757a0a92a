"""The pure parts of webhooks: signatures, back-off, which targets are safe."""

import datetime as dt
import ipaddress
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhooks import signing, targets
from app.webhooks.schedule import next_attempt, retry_delay
from tests.support.server import PROJECT_ROOT

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def test_signatures_verify_with_the_standard_webhooks_library() -> None:
    secret = signing.new_secret()
    body = b'{"type":"mission.created","data":{}}'
    headers = signing.headers(secret, "evt_42", int(time.time()), body)
    assert headers["webhook-id"] == "evt_42"
    assert headers["webhook-signature"].startswith("v1,")
    receiver = Webhook(secret)
    assert receiver.verify(body, headers) == {"type": "mission.created", "data": {}}
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_message_id_is_the_event_s() -> None:
    assert signing.message_id(7) == signing.message_id(7) == "evt_7"


def test_back_off_doubles_from_the_base() -> None:
    assert [retry_delay(n, 30).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_a_delivery_is_given_up_once_it_would_be_retried_after_24_hours() -> None:
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    day = dt.timedelta(hours=24)
    tries: list[dt.datetime] = []
    now = first
    while due := next_attempt(len(tries) + 1, first, now, base_seconds=30, give_up_after=day):
        tries.append(due)
        now = due
    assert len(tries) == 11  # 30 s x (2^11 - 1) = 17 h; the 12th would end past 24 h
    assert tries[-1] - first < day
    assert next_attempt(1, first, first + day, base_seconds=30, give_up_after=day) is None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        # IPv6 forms that carry an IPv4 address: judged by the IPv4 they carry
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 of 10.0.0.1
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("2001:0:5db8:d822::8047:fffe", False),  # Teredo, client 127.128.0.1 (obfuscated)
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:0:7f00:1", False),  # IPv4-translated
        ("fec0::1", False),  # site-local, deprecated
    ],
)
def test_only_public_addresses_unless_allowed(address: str, allowed: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert targets.is_allowed(ip, []) is allowed
    assert targets.is_allowed(ip, [ipaddress.ip_network(address)])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "http:///nohost", "https://user:pw@example.com/", "file:///etc/passwd"],
)
def test_urls_jalon_will_not_call(url: str) -> None:
    with pytest.raises(targets.UnsafeTarget):
        targets.check_url(url)


async def test_the_connection_goes_to_the_address_checked() -> None:
    target = await targets.resolve("http://localhost:8081/hook?x=1", LOOPBACK)
    assert target.url in ("http://127.0.0.1:8081/hook?x=1",)
    assert target.host_header == "localhost:8081"
    assert target.sni_hostname is None
    with pytest.raises(targets.UnsafeTarget, match="not public"):
        await targets.resolve("http://localhost:8081/hook", [])
    with pytest.raises(targets.UnsafeTarget, match="does not resolve"):
        await targets.resolve("https://nowhere.invalid/hook", [])
    https = await targets.resolve("https://127.0.0.1/hook", LOOPBACK)
    assert https.url == "https://127.0.0.1:443/hook"
    assert https.host_header == "127.0.0.1"
    assert https.sni_hostname == "127.0.0.1"


def test_the_readme_verification_example_accepts_jalon_s_signatures() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    example = readme.split("by hand:\n\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(example, namespace)  # the receivers' copy-paste, as printed
    secret = signing.new_secret()
    body = b'{"type":"mission.created"}'
    headers = signing.headers(secret, "evt_9", int(time.time()), body)
    assert namespace["verify"](secret, headers, body)
    assert not namespace["verify"](secret, headers, body + b"x")
    assert not namespace["verify"](signing.new_secret(), headers, body)
