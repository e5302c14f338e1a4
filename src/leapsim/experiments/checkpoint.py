"""Resumable studies: every finished chunk of items is saved as it completes, under the identity
of each item (the fingerprint of its study and its replication index), so a rerun — after an
interruption, with more replications, or inside a larger batch — computes only what is missing.
The chunk files live in one folder (``OUT/.partial/`` for the CLI) that the caller removes once
the results are written."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np

import leapsim
from leapsim.atomic import write_with_atomic

ItemKey = tuple[str, int]  # (study fingerprint, replication)


def fingerprint(*parts: Any) -> str:
    """SHA-256 over nested dataclasses, pydantic models, mappings, sequences, arrays and plain
    values, and the leapsim version: the identity of a study. A value that has no stable text
    (a ``repr`` with a memory address) is refused rather than fingerprinted differently in every
    process, which would silently defeat resume."""
    digest = hashlib.sha256(leapsim.__version__.encode())

    def feed(value: Any) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            digest.update(type(value).__name__.encode())
            for field in dataclasses.fields(value):
                digest.update(field.name.encode())
                feed(getattr(value, field.name))
        elif hasattr(value, "model_dump") and not isinstance(value, type):  # pydantic
            digest.update(type(value).__name__.encode())
            feed(value.model_dump())
        elif isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + str(value.shape).encode())
            if value.dtype.hasobject:
                feed(value.tolist())
            else:
                digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, dict):
            digest.update(b"{")
            for key, item in value.items():
                feed(key)
                feed(item)
            digest.update(b"}")
        elif isinstance(value, (list, tuple)):
            digest.update(type(value).__name__.encode() + b"[")
            for item in value:
                feed(item)
            digest.update(b"]")
        else:
            text = repr(value)
            if " at 0x" in text:
                raise TypeError(f"cannot fingerprint {type(value).__name__}: {text}")
            digest.update(text.encode())

    for part in parts:
        feed(part)
    return digest.hexdigest()


class Checkpoint:
    """Finished items saved in ``folder``, one pickle per chunk: a list of ``(study fingerprint,
    replication, item result)``. Files are written atomically and never change, so each is read
    once; a damaged or foreign file is removed (its items are simply computed again)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._items: dict[ItemKey, Any] = {}
        self._read: set[str] = set()

    def load(self) -> dict[ItemKey, Any]:
        """Every item saved so far, by (study fingerprint, replication)."""
        for path in sorted(self.folder.glob("chunk-*.pkl")):
            if path.name in self._read:
                continue
            try:
                with open(path, "rb") as fh:
                    records = pickle.load(fh)
                items = {(str(key), int(rep)): result for key, rep, result in records}
            except Exception:  # any unreadable chunk is run again, never trusted
                path.unlink(missing_ok=True)
                continue
            self._items.update(items)
            self._read.add(path.name)
        return self._items

    def save(self, records: list[tuple[str, int, Any]]) -> None:
        """Save one finished chunk (named by the items it holds, so a rerun overwrites it)."""
        name = hashlib.sha256(repr([(key, rep) for key, rep, _ in records]).encode())
        path = self.folder / f"chunk-{name.hexdigest()[:20]}.pkl"
        self.folder.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
        write_with_atomic(path, lambda tmp: tmp.write_bytes(data))
        self._items.update({(key, rep): result for key, rep, result in records})
        self._read.add(path.name)

    def clear(self) -> None:
        """Remove the folder and everything saved in it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._items.clear()
        self._read.clear()
