"""``repair.completed``: a work order was finished."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, field_validator

from .envelope import DerivedEvent


class Money(BaseModel):
    """An amount as a decimal string, never a float."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    amount: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d{1,2})?$")]
    currency: Literal["CNY"] = "CNY"

    @field_validator("amount")
    @classmethod
    def _parses(cls, value: str) -> str:
        Decimal(value)
        return value

    def as_decimal(self) -> Decimal:
        return Decimal(self.amount)


class RepairCompleted(DerivedEvent):
    """Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: str
    work_order_id: str
    project: str
    building: str
    unit: str
    department: str
    under_warranty: bool
    cost: Money
    completed_at: AwareDatetime
    notes: str | None = None
