"""Composition root of the membership service.

Today it records each answered survey as club activity (the source of points
later); the club's rules and API come with the owners' club work.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from kefu_contracts import SURVEY_ANSWERED, SurveyAnswered
from kefu_kit import ServiceKit, insert_once, subscriber_options
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from .settings import Settings


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.activities.create_index([("customer_id", ASCENDING)])


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("activities",))
    kit.on_startup(ensure_indexes)
    activities = kit.db.activities

    @kit.broker.subscriber(settings.topics(SURVEY_ANSWERED), **subscriber_options(settings))
    async def on_survey_answered(event: SurveyAnswered) -> None:
        """An owner answered a survey: club activity, once per answer."""
        await insert_once(
            activities,
            {
                "_id": event.event_id,
                "customer_id": event.customer_id,
                "kind": "survey_answered",
                "survey_id": event.survey_id,
                "at": event.answered_at,
            },
        )

    router = APIRouter(prefix="/members", tags=["members"])

    @router.get("/{customer_id}/activities")
    async def member_activities(customer_id: str) -> list[dict[str, Any]]:
        return await activities.find({"customer_id": customer_id}).sort("at", ASCENDING).to_list()

    return kit.app([router], title="kefu membership")
