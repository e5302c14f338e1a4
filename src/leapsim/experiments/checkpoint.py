"""Resumable studies: each finished chunk of replications is saved as it completes, so an
interrupted study picks up where it stopped (same scenario, seed and options) instead of
starting again. The chunk files live in ``OUT/.partial/`` and are removed once the results
folder is complete."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leapsim.atomic import write_json_atomic, write_with_atomic

MANIFEST = "manifest.json"


def fingerprint(*parts: Any) -> str:
    """SHA-256 over nested dataclasses, arrays and plain values: the identity of a study."""
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            digest.update(type(value).__name__.encode())
            for field in dataclasses.fields(value):
                digest.update(field.name.encode())
                feed(getattr(value, field.name))
        elif isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + str(value.shape).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (list, tuple)):
            digest.update(b"[")
            for item in value:
                feed(item)
            digest.update(b"]")
        else:
            digest.update(repr(value).encode())

    for part in parts:
        feed(part)
    return digest.hexdigest()


class Checkpoint:
    """Chunk results of one study in ``folder``; a different study there starts afresh."""

    def __init__(self, folder: str | Path, study: str):
        self.folder = Path(folder)
        self.study = study

    def load(self) -> dict[int, Any]:
        """Results of the chunks already done by this same study (chunk index → result)."""
        manifest = self.folder / MANIFEST
        try:
            same = json.loads(manifest.read_text())["study"] == self.study
        except (OSError, ValueError, KeyError):
            same = False
        if not same:
            self.clear()
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(manifest, {"study": self.study})
            return {}
        done = {}
        for path in sorted(self.folder.glob("chunk-*.pkl")):
            try:
                with open(path, "rb") as fh:
                    done[int(path.stem.split("-")[1])] = pickle.load(fh)
            except (OSError, pickle.UnpicklingError, EOFError, ValueError):
                path.unlink(missing_ok=True)  # a damaged chunk is simply run again
        return done

    def save(self, chunk: int, result: Any) -> None:
        write_with_atomic(
            self.folder / f"chunk-{chunk:06d}.pkl",
            lambda tmp: tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)),
        )

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def run_chunks(
    executor,
    fn: Callable[[Any, list[int]], Any],
    job: Any,
    chunks: Sequence[list[int]],
    checkpoint: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Any]:
    """``fn(job, chunk)`` for every chunk on ``executor``, skipping chunks ``checkpoint`` already
    holds and saving each new result there; ``progress`` gets the runs done as they finish.
    Returns chunk index → result for all chunks."""
    done = checkpoint.load() if checkpoint is not None else {}
    todo = [i for i in range(len(chunks)) if i not in done]
    if progress is not None and done:
        progress(sum(len(chunks[i]) for i in done))
    for index, result in executor.map_unordered(fn, job, [chunks[i] for i in todo]):
        chunk = todo[index]
        done[chunk] = result
        if checkpoint is not None:
            checkpoint.save(chunk, result)
        if progress is not None:
            progress(len(chunks[chunk]))
    return done
