"""Counts shown to company and network keys: the cell-key method, pure.

Groups with fewer salariés than the threshold are hidden; that alone is undone by
subtraction (January to June minus January to May, both shown, is June's exits). So
every count those keys read is also perturbed, as national statistics offices do for
tables their users build freely (the Australian Bureau of Statistics' TableBuilder, the
ONS for the 2021 census): each salarié has a secret record key, a group's cell key is
the sum of its people's keys, and a fixed table turns the cell key into a perturbation
of -2 to +2. The same people always give the same figure, so asking again or otherwise
teaches nothing; two groups that differ by one person have unrelated perturbations, so
their difference is that person's count give or take up to 4, never known to be exact.

The record key is a keyed hash of the salarié's id, computed by PostgreSQL with a seed
derived from the server's secret (:func:`seed_of`): nobody can compute a cell key.
"""

import hashlib
import hmac
import zlib
from dataclasses import dataclass

CELL_KEYS = 2**32
# the perturbations and the share of cell keys that get each: 40 % are shown as they are
TABLE: tuple[tuple[int, float], ...] = ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1))
SPREAD = max(abs(p) for p, _ in TABLE)


@dataclass(frozen=True, slots=True)
class Protection:
    """What a company or network key's figures go through."""

    threshold: int  # groups with fewer salariés are hidden
    seed: int  # keys the record keys, in PostgreSQL's bigint range


def seed_of(server_key: bytes) -> int:
    digest = hmac.new(server_key, b"jalon cell keys", hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def perturbation(cell_key: int, figure: str) -> int:
    """The perturbation of one figure of a group (its count, a category, a numerator):
    each figure gets its own, from the cell key shifted by the figure's name."""
    share = ((cell_key + zlib.crc32(figure.encode())) % CELL_KEYS) / CELL_KEYS
    cumulated = 0.0
    for value, probability in TABLE:
        cumulated += probability
        if share < cumulated:
            return value
    return TABLE[-1][0]


def perturbed(count: int, cell_key: int, figure: str) -> int:
    """The count as shown: never negative."""
    return max(0, count + perturbation(cell_key, figure))
