"""``repair.completed``: a work order was finished; ``defect.batch_suspected``: many homes, one defect?"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

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


class DefectBatchSuspected(DerivedEvent):
    """Several owners of one building reported the same in-unit repair within a window. Key: ``signal_id``.

    (kefu extension.) For engineering: the same fitting failing in many homes may be one batch
    defect (批量缺陷) worth inspecting across the building. It is NOT a group complaint and
    escalates nothing: each repair stays its owner's own case. Once per building and category
    per window; ``signal_id`` is derived from them and the first report, so a redelivery is the
    same signal.
    """

    def kafka_key(self) -> str:
        return self.signal_id

    signal_id: str
    project: str
    building: str
    category: str = Field(description="the repair category the owners reported (plumbing, electrical...)")
    case_ids: list[str] = Field(min_length=1, description="the repairs that make the signal, oldest first")
    owners: int = Field(ge=1, description="how many different owners reported it")
    first_reported_at: AwareDatetime
    last_reported_at: AwareDatetime
    window_days: float = Field(gt=0, description="the window the reports fell in")
