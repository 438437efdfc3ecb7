"""What an import found: problems that stop it, and warnings that do not.

Every problem names where it was found (``location``: a file, an activity, an exchange) so a user
can fix the source; an import collects all of them before deciding, never only the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# A progress callback: fraction done in [0, 1] and the stage being worked on.
Progress = Callable[[float, str], None]


def no_progress(fraction: float, stage: str) -> None:
    """The default progress callback: says nothing."""


# Problem kinds. The blocking ones stop an import before anything is registered.
MALFORMED = "malformed"  # the source cannot be parsed
UNSAFE_ARCHIVE = "unsafe_archive"  # path traversal, links, too large or too compressed
UNLINKED_EXCHANGE = "unlinked_exchange"  # an input naming an activity or flow that is not there
UNKNOWN_UNIT = "unknown_unit"  # a unit neither bw2io nor our unit registry knows
UNIT_MISMATCH = "unit_mismatch"  # an exchange's unit differs from its provider's unit
EMPTY = "empty"  # nothing to import
UNCHARACTERISED_GHG = "uncharacterised_ghg"  # warning: a greenhouse gas our method misses
DROPPED_EXCHANGE = "dropped_exchange"  # warning: an unlinked input dropped on request
NOTE = "note"  # warning carried over from an earlier import of the same source
BLOCKING = frozenset(
    {MALFORMED, UNSAFE_ARCHIVE, UNLINKED_EXCHANGE, UNKNOWN_UNIT, UNIT_MISMATCH, EMPTY}
)


@dataclass(frozen=True)
class Problem:
    """One thing an import found wrong (or worth knowing) in its source."""

    kind: str
    location: str
    detail: str

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING


@dataclass(frozen=True)
class ImportReport:
    """Everything an import found, blocking or not."""

    source_format: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(p.blocking for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.blocking)

    def of_kind(self, kind: str) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.kind == kind)

    def with_problems(self, problems: Iterable[Problem]) -> ImportReport:
        return ImportReport(self.source_format, (*self.problems, *problems))

    def summary(self, limit: int = 20) -> str:
        lines = [f"{p.kind} at {p.location}: {p.detail}" for p in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"… and {len(self.errors) - limit} more")
        return "\n".join(lines)


class ImportFailed(ValueError):
    """The source could not be imported; nothing was registered. ``report`` says why."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        count = len(report.errors)
        super().__init__(
            f"{report.source_format} import failed with {count} problem"
            f"{'s' if count != 1 else ''}; nothing was registered:\n{report.summary()}"
        )
