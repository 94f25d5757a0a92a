import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import BadRequest
from app.pagination import CursorCodec

codec = CursorCodec(b"k" * 32)

keys = st.lists(
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=40), st.uuids().map(str)),
    min_size=1,
    max_size=4,
)


@given(keys)
def test_a_cursor_gives_back_the_key_it_was_made_from(key: list[object]) -> None:
    assert codec.decode("things", codec.encode("things", key)) == key


@given(keys, st.integers(min_value=0, max_value=200), st.characters(codec="ascii"))
def test_any_altered_cursor_is_refused(key: list[object], position: int, replacement: str) -> None:
    cursor = codec.encode("things", key)
    position %= len(cursor)
    altered = cursor[:position] + replacement + cursor[position + 1 :]
    if altered == cursor:
        return
    try:
        decoded = codec.decode("things", altered)
    except BadRequest:
        return
    # base64 padding bits can change without changing the bytes: then the key is intact
    assert decoded == key


def test_a_cursor_is_bound_to_its_list_and_its_secret() -> None:
    cursor = codec.encode("keys", ["2026-01-01T00:00:00+00:00", str(uuid.uuid4())])
    with pytest.raises(BadRequest):
        codec.decode("structures", cursor)
    with pytest.raises(BadRequest):
        CursorCodec(b"other").decode("keys", cursor)


def test_uuid_and_datetime_keys_are_encoded_as_text() -> None:
    moment = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
    key_id = uuid.uuid4()
    assert codec.decode("keys", codec.encode("keys", [moment, key_id])) == [
        "2026-11-26T09:30:00+00:00",
        str(key_id),
    ]


@pytest.mark.parametrize("cursor", ["", ".", "abc", "a.b.c", "!!!.???", "e30.AAAA"])
def test_malformed_cursors_are_bad_requests(cursor: str) -> None:
    with pytest.raises(BadRequest):
        codec.decode("keys", cursor)
