"""Identifiers. Ids are opaque text: clients may supply their own (the Kili SDK sends cuids)."""

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """A 25-character, cuid-shaped random id ('c' + 24 base-36 characters, ~124 bits)."""
    return "c" + "".join(secrets.choice(_ALPHABET) for _ in range(24))
