"""Field types every slice's request and response bodies share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

QuantityText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="a decimal number and a unit: unit names Pint knows joined by '*' and '/', "
        "with exponents from -4 to 4 ('^' or '**'), e.g. '165 g', '80 mL', '1.2e6 m^3'; not an "
        "expression ('2**10 kg' is refused). After conversion the value must lie in the field's "
        "plausible range (lca/ranges.py), which a refusal names with its unit",
        examples=["165 g"],
    ),
]


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
Code = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackgroundVersion(BaseModel):
    name: str
    version: str = Field(
        description="SHA-256 content hash of the data the background was built from"
    )
    method: str
    id: uuid.UUID | None = Field(
        default=None,
        description="the imported background (GET /v1/backgrounds/{id}); null: the open one",
    )


Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list: the rows, how many there are in all, and where the page starts."""

    data: list[Item]
    count: int
    limit: int
    offset: int
