"""Where CXRDesk keeps what it can recompute: per-image statistics keyed by path, size and mtime.

The cache lives in the user's cache folder, never beside the radiographs: a scan must not write
into the folder it reads.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from .reasons import Reason

_COLUMNS = ("mean", "std", "p5", "p95", "width", "height", "sha256", "error", "dhash")
#: The table of this version's columns (a cache written by an older CXRDesk is left alone, not misread).
_TABLE = "stats2"
_ERROR = _COLUMNS.index("error")


def cache_dir() -> Path:
    """``$CXRDESK_CACHE_DIR``, else ``$XDG_CACHE_HOME/cxrdesk``, else ``~/.cache/cxrdesk``."""
    if os.environ.get("CXRDESK_CACHE_DIR"):
        return Path(os.environ["CXRDESK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "cxrdesk"


class StatsCache:
    """A SQLite table of image statistics; a row is valid while the file's size and mtime match."""

    def __init__(self, path: Path | None = None):
        self.path = path or cache_dir() / "scan-cache.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
            " mean REAL, std REAL, p5 REAL, p95 REAL, width INTEGER, height INTEGER, sha256 TEXT,"
            " error TEXT, dhash TEXT)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS lungs (path TEXT, model TEXT, size INTEGER, mtime_ns INTEGER,"
            " lung_mean REAL, PRIMARY KEY (path, model))")

    def lookup(self, root: Path, files: dict[str, tuple[int, int]]) -> dict[str, tuple]:
        """Rows for ``files`` (absolute path -> (size, mtime_ns)) that are still valid."""
        prefix = str(root.resolve()) + os.sep
        # One range query over the folder is far faster than one query per file.
        rows = self._db.execute(
            f"SELECT path, size, mtime_ns, {', '.join(_COLUMNS)} FROM {_TABLE}"
            " WHERE path >= ? AND path < ?", (prefix, prefix + "\uffff"))
        found = {}
        for path, size, mtime_ns, *values in rows:
            if files.get(path) == (size, mtime_ns):
                values[_ERROR] = _decoded(values[_ERROR])
                found[path] = tuple(values)
        return found

    def store(self, rows: list[tuple]) -> None:
        """Rows of (path, size, mtime_ns, mean, std, p5, p95, width, height, sha256, error, dhash)."""
        at = 3 + _ERROR
        rows = [(*row[:at], _encoded(row[at]), *row[at + 1:]) for row in rows]
        with self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO {_TABLE} VALUES ({', '.join('?' * (3 + len(_COLUMNS)))})", rows)

    def lookup_lungs(self, model: str, files: dict[str, tuple[int, int]]) -> dict[str, float | None]:
        """Mean intensity inside the lungs (by lung model ``model``) for ``files`` whose rows are valid."""
        found = {}
        for path, size, mtime_ns, value in self._db.execute(
                "SELECT path, size, mtime_ns, lung_mean FROM lungs WHERE model = ?", (model,)):
            if files.get(path) == (size, mtime_ns):
                found[path] = value
        return found

    def store_lungs(self, model: str, rows: list[tuple]) -> None:
        """Rows of (path, size, mtime_ns, lung_mean or None)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO lungs VALUES (?, ?, ?, ?, ?)",
                                 [(p, model, size, mtime, value) for p, size, mtime, value in rows])

    def close(self) -> None:
        self._db.close()


def _encoded(error):
    """A reader's refusal kept with its code and figures (a window words it in its language on a cached rescan)."""
    if isinstance(error, Reason):
        return json.dumps({"reason": str(error), "code": error.code, "values": error.values})
    return error


def _decoded(error):
    if isinstance(error, str) and error.startswith('{"reason": '):
        try:
            kept = json.loads(error)
            return Reason(kept["reason"], kept["code"], **kept["values"])
        except (ValueError, KeyError, TypeError):
            return error
    return error
