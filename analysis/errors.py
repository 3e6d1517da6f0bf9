"""Problems found in raw data and the exception that carries all of them at once; and the one
exception for a refused argument (ParameterError, raised by the rules of analysis.arguments)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHOWN = 200  # problems listed in full; a broken 60 MB file must not print millions of lines


@dataclass(frozen=True)
class Problem:
    """One broken rule at one place: enough for an editor to find and fix it without guessing."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str
    column_number: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.column is not None:
            number = f" {self.column_number}" if self.column_number is not None else ""
            parts.append(f"column{number} '{self.column}'")
        if self.value is not None:
            shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
            parts.append(f"value {shown!r}")
        parts.append(self.rule)
        return ": ".join(parts)


class DataValidationError(ValueError):
    """Raised when raw data breaks rules; lists every problem, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=sort_key)
        lines = "\n".join(problem_lines(self.problems, presorted=True))
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{lines}")


def problem_lines(problems: Iterable[Problem], limit: int = MAX_SHOWN, presorted: bool = False) -> list[str]:
    """The first `limit` problems in fixing order, one line each, then (when there are more)
    `… and N more problems (M in all)`."""
    problems = list(problems)
    shown = problems[:limit] if presorted else heapq.nsmallest(limit, problems, key=sort_key)
    lines = [str(p) for p in shown]
    if len(problems) > len(shown):
        lines.append(f"… and {len(problems) - len(shown):,} more problems ({len(problems):,} in all)")
    return lines


def sort_key(problem: Problem) -> tuple:
    """File, then line, then column: the order an editor fixes them in."""
    return (problem.file, problem.line or 0, problem.column_number or 0, problem.column or "", problem.rule)


class ParameterError(ValueError, TypeError):
    """A refused argument of a library function, notebook parameter or catalog entry, in one line:
    `function: argument: reason`, the reason naming the value and the valid values.

    One class for all three (the rules are analysis.arguments). It is a ValueError (a value
    outside the vocabulary or the data) and a TypeError (a string where a list is meant, 2024
    where a date is), so callers catching either built-in catch it.
    """

    def __init__(self, argument: str, reason: str, function: str | None = None):
        self.argument, self.reason, self.function = argument, reason, None
        super().__init__(self._line())
        if function is not None:
            self.within(function)

    def within(self, function: str) -> ParameterError:
        """Name the function that refused: the outermost public one, the function the caller
        called (load_claims, not the load_conflict it delegates to)."""
        self.function = function
        self.args = (self._line(),)
        return self

    def _line(self) -> str:
        line = f"{self.argument}: {self.reason}"
        return f"{self.function}: {line}" if self.function else line

    def _render_traceback_(self) -> list[str]:  # IPython hook: what a notebook shows, without a traceback
        return [f"ParameterError: {self}"]
