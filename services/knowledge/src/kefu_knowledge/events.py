"""What the knowledge service does with routing's and intake's case events: the case library.

``case.opened`` gives the problem (subject and body), ``case.status_changed`` the resolution and the
closing. Both merge into the case's facts (a ``$set`` by case id: a redelivery sets the same values),
then the entry is made or brought up to date (``insert_once`` by case id; a replace conditional on
the version read). The offset is committed by the kit after this returns: effects first.
"""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_contracts import CaseOpened, CaseStatusChanged
from kefu_kit import get_logger

from .adapters.store import LibraryStore
from .domain.library import entry_from, facts_from_opened, facts_from_status, refreshed
from .domain.ranking import CASE
from .search import SearchIndex

log = get_logger(__name__)


async def _settle(case_id: str, fields: dict, library: LibraryStore, index: SearchIndex) -> None:
    now = datetime.now(timezone.utc)
    facts = await library.learn(case_id, fields)
    made = entry_from(facts, now)
    if made is None:
        return
    existing = await library.get(case_id)
    if existing is None:
        doc = index.stamp(CASE, made, now)
        if await library.add(doc):
            index.apply(CASE, doc)
            log.info("case library entry made", case_id=case_id, kind=made.get("kind"))
        return
    after = refreshed(existing, made, now)
    if after is not None:
        doc = index.stamp(CASE, after, now)
        if await library.replace(existing, doc):
            index.apply(CASE, doc)


async def case_opened(event: CaseOpened, library: LibraryStore, index: SearchIndex) -> None:
    await _settle(event.case_id, facts_from_opened(event), library, index)


async def case_status_changed(event: CaseStatusChanged, library: LibraryStore, index: SearchIndex) -> None:
    await _settle(event.case_id, facts_from_status(event), library, index)
