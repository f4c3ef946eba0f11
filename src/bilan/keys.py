"""Content keys: short hashes of what determines a value (fiches, units, outputs)."""

from __future__ import annotations

import hashlib


def digest(*parts: str) -> str:
    """A short hash of ``parts`` (separated, so that ("ab", "c") differs from ("a", "bc"))."""
    hashed = hashlib.blake2b(digest_size=16)
    for part in parts:
        hashed.update(part.encode("utf-8", "surrogatepass"))
        hashed.update(b"\x00")
    return hashed.hexdigest()
