"""API key secrets: 256 random bits, shown once, kept as a SHA-256 digest."""

import hashlib
import re
import secrets

SECRET_PREFIX = "jalon_"
_RANDOM_BYTES = 32
_DISPLAY_PREFIX_LENGTH = len(SECRET_PREFIX) + 6


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet
_WELL_FORMED = re.compile(r"^jalon_[A-Za-z0-9_-]{43}$")


def well_formed(secret: str) -> bool:
    """Whether ``secret`` has the shape of a key jalon issues: what has not cannot be one."""
    return _WELL_FORMED.match(secret) is not None


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def display_prefix(secret: str) -> str:
    """The first characters, enough for a person to tell keys apart in a list."""
    return secret[:_DISPLAY_PREFIX_LENGTH]
