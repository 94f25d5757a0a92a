"""Standard Webhooks signatures (https://www.standardwebhooks.com): each delivery carries
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``, the HMAC-SHA256 of
``{id}.{timestamp}.{body}`` keyed by the subscription's secret."""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "jalon-webhooks/1",
    }


def message_id(event_id: int) -> str:
    """The same for every attempt at one event: receivers deduplicate on it."""
    return f"evt_{event_id}"
