"""The NIR (numéro de sécurité sociale): validated, then kept only as a keyed hash, so
that a duplicate can be found without the number being stored or shown."""

import hashlib
import hmac
import secrets
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir

from app.settings import Settings, SettingsError

KEY_FILE = "nir-hash.key"


def validate_nir(value: str) -> str:
    if not value.isascii():  # look-alike digits would hash apart from the real ones
        raise ValueError("a NIR has ASCII digits (and 2A/2B) only")
    try:
        return str(stdnum_nir.validate(value))
    except StdnumError:
        raise ValueError("not a valid NIR (15 characters with its control key)") from None


def nir_hash(key: bytes, nir: str) -> bytes:
    return hmac.new(key, stdnum_nir.compact(nir).encode(), hashlib.sha256).digest()


def nir_key(settings: Settings) -> bytes:
    """JALON_NIR_HASH_KEY; with the embedded PostgreSQL, a key made once and kept beside
    its data. A server database without a configured key is refused: the hashes must
    outlive any one process and must not be computable from the database alone."""
    if settings.nir_hash_key is not None:
        return settings.nir_hash_key.get_secret_value().encode()
    if settings.database_url is not None:
        raise SettingsError("JALON_NIR_HASH_KEY: required when JALON_DATABASE_URL is set")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


# The fiche salarié sends the NIR itself: there (only) it is kept, sealed with AES-GCM
# under a key derived from the hash key, bound to its salarié.
_SEAL_INFO = b"jalon fiche salarie NIR seal v1"
_NONCE_BYTES = 12


def _seal_key(key: bytes) -> AESGCM:
    return AESGCM(hmac.new(key, _SEAL_INFO, hashlib.sha256).digest())


def seal_nir(key: bytes, salarie_id: uuid.UUID, nir: str) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _seal_key(key).encrypt(nonce, stdnum_nir.compact(nir).encode(), salarie_id.bytes)
    return nonce + sealed


def open_nir(key: bytes, salarie_id: uuid.UUID, sealed: bytes) -> str:
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return _seal_key(key).decrypt(nonce, body, salarie_id.bytes).decode()
