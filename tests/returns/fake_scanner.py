"""Scanners for the tests (RETURNPATH_DOCUMENT_SCANNER points here)."""

EICAR = b"X5O!P%@AP"


def rejecting(data: bytes, *, name: str) -> str | None:
    return "EICAR test signature found" if EICAR in data else None


def broken(data: bytes, *, name: str) -> str | None:
    raise ConnectionError("scanner down")
