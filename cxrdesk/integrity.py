"""Files CXRDesk trusts only when they are what their card says: hashes and verified model loading,
shared by the classifier bundles and the lung model."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_verified_model(path: Path, expected_sha256: str | None, error: type[Exception]):
    """A saved Keras model whose file hash matches its card's, loaded with ``safe_mode``; ``error``
    (with a one-line reason) for a missing, swapped or unreadable file."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise error(f"{path.parent} has a card but no {path.name}")
    if file_sha256(path) != expected_sha256:
        raise error(f"{path} does not match its card (changed or replaced after training)")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # any reason Keras gives: the user gets one line, not a traceback
        raise error(f"{path} cannot be loaded: {str(exc).splitlines()[0][:200]}") from None
