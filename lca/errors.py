"""The calculation core's errors: one base, and input errors that name every field at fault."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldProblem:
    """One reason an input cannot be used: the field's path, what is wrong, and a problem type."""

    loc: Location
    msg: str
    type: str = "value_error"


class LcaError(Exception):
    """Base of every error the calculation core raises on purpose."""


class InputError(LcaError, ValueError):
    """The input cannot be used; ``field_problems`` names each field and why, all at once."""

    def __init__(self, message: str, field_problems: Iterable[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.field_problems: tuple[FieldProblem, ...] = tuple(field_problems)


def joined(problems: Iterable[FieldProblem]) -> str:
    """``a.b: why; c.0: why`` — the message of an error made of field problems."""
    return "; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems)


def from_pairs(pairs: Iterable[tuple[Location, str]]) -> list[FieldProblem]:
    """Field problems from the (path, reason) pairs several modules collect."""
    return [FieldProblem(tuple(loc), msg) for loc, msg in pairs]
