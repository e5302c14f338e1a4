"""User-facing input errors: every problem names the file, line, field and the fix.

The CLI turns :class:`InputError` into a message on stderr and exit status 2; nothing that a user
can get wrong in a file should surface as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and how to fix it."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(Exception):
    """One or more problems in a user's input file or arguments."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(
        cls,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> InputError:
        """Shorthand for an error with a single problem."""
        return cls(Problem(message, file=file, line=line, field=field, hint=hint))


def quoted(text: str, limit: int = 30) -> str:
    """``text`` quoted for a message about it, shortened when long: ``'99999…9999' (5,000
    characters)``, so that a message never repeats a huge input."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 6]!r}…{text[-4:]!r} ({len(text):,} characters)"
