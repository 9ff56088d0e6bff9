"""The knowledge HTTP API (OpenAPI at /docs): articles, search, suggestions, the case library.

* articles (标准知识库): ``GET /articles``, ``GET /articles/{id}``, ``GET /articles/{id}/versions``;
  the after-sales supervisor creates (``POST /articles``), edits (``PATCH /articles/{id}``) and retires
  (``POST /articles/{id}/retire``) them; every change is a new version, the old ones are kept;
* search: ``GET /search?q=&limit=`` (articles and case-library entries, BM25 scores);
* suggestions for a contact's text: ``POST /suggestions {text}`` (top articles, similar solved cases);
* case library (案例库): ``GET /library``, ``GET /library/{id}``; the supervisor edits (``PATCH``),
  promotes and retires entries.

Who reads: the people who answer owners (hotline agents, complaint specialists, department staff,
the supervisor, the managers). Department staff see the case-library entries of their own department
only (``Principal.can_see``). Entries hold no personal data (stripped before they are stored), so
nobody needs a masked view of them.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from kefu_kit.auth import Allowed, Principal, Role
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from pydantic import BaseModel, Field, StringConstraints

from .context import Knowledge
from .domain import articles as art
from .domain import library as lib
from .domain.ranking import ARTICLE, CASE, Found

READERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF, Role.AFTERSALES_SUPERVISOR,
           Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
CURATORS = (Role.AFTERSALES_SUPERVISOR,)
Reader = Allowed(*READERS)
Curator = Allowed(*CURATORS)

ARTICLE_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
ArticleId = Annotated[str, Path(pattern=ARTICLE_ID, description="an article id: a-z, 0-9 and -, at most 64")]
EntryId = Annotated[str, Path(min_length=1, max_length=128, description="the case id the entry came from")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Project = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

CONFLICT = error_response(409, "someone changed it meanwhile (expected_version), or the id is taken")
NOT_FOUND = ERROR_RESPONSES[404]


class ArticleIn(BaseModel):
    id: str | None = Field(None, pattern=ARTICLE_ID, description="default: a new id (kb-...)")
    question: Annotated[Text, StringConstraints(max_length=500)]
    answer: Annotated[Text, StringConstraints(max_length=5000)]
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    projects: list[Project] = Field(default_factory=list, max_length=50,
                                    description="the projects it applies to; empty: every project")


class ArticleEdit(BaseModel):
    question: Annotated[Text, StringConstraints(max_length=500)] | None = None
    answer: Annotated[Text, StringConstraints(max_length=5000)] | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    projects: list[Project] | None = Field(None, max_length=50)
    expected_version: int | None = Field(None, ge=1, le=1_000_000,
                                         description="refuse (409) unless the article is at this version")


class ArticleOut(BaseModel):
    id: str
    question: str
    answer: str
    tags: list[str]
    projects: list[str]
    status: Literal["active", "retired"]
    version: int
    created_at: datetime | None = None
    updated_at: datetime
    updated_by: str


class ArticleVersionOut(BaseModel):
    id: str = Field(description="the article's id")
    version: int
    question: str
    answer: str
    tags: list[str]
    projects: list[str]
    status: Literal["active", "retired"]
    updated_at: datetime
    updated_by: str


class Hit(BaseModel):
    type: Literal["article", "case"]
    id: str
    score: float
    title: str = Field(description="an article's question; a case's problem (its start)")
    snippet: str = Field(description="an article's answer; a case's resolution (its start)")
    status: str
    tags: list[str] | None = None
    kind: str | None = None
    category: str | None = None


class SearchOut(BaseModel):
    query: str
    terms: list[str] = Field(description="the query's words as search read them")
    hits: list[Hit]


class SuggestIn(BaseModel):
    text: Annotated[Text, StringConstraints(max_length=4000)] = Field(description="what the owner said or wrote")
    project: Project | None = None
    limit: int = Field(3, ge=1, le=20, description="articles and cases, each")


class SuggestOut(BaseModel):
    articles: list[Hit]
    cases: list[Hit]


class EntryOut(BaseModel):
    id: str
    case_id: str
    kind: str | None = None
    category: str | None = None
    department: str | None = None
    project: str | None = None
    problem: str
    resolution: str
    status: Literal["candidate", "promoted", "retired"]
    version: int
    created_at: datetime | None = None
    updated_at: datetime
    updated_by: str
    closed_at: datetime | None = None


class EntryEdit(BaseModel):
    problem: Annotated[Text, StringConstraints(max_length=4000)] | None = None
    resolution: Annotated[Text, StringConstraints(max_length=4000)] | None = None
    category: Annotated[Text, StringConstraints(max_length=100)] | None = None
    expected_version: int | None = Field(None, ge=1, le=1_000_000)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _article(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "id": doc["_id"]}


def _version(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "id": doc["article_id"]}


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "id": doc["_id"]}


def _hit(found: Found) -> dict[str, Any]:
    m = found.meta
    return {"type": found.type, "id": found.id, "score": found.score, "title": m.get("title", ""),
            "snippet": m.get("snippet", ""), "status": m.get("status", ""), "tags": m.get("tags"),
            "kind": m.get("kind"), "category": m.get("category")}


def _department_of(who: Principal) -> str | None:
    return None if who.sees_all else (who.department or "-")


def build_router(k: Knowledge) -> APIRouter:
    router = APIRouter()

    async def article_or_404(article_id: str) -> dict[str, Any]:
        doc = await k.articles.get(article_id)
        if doc is None:
            raise HTTPException(404, f"no article {article_id}")
        return doc

    async def change_article(doc: dict[str, Any], change: dict[str, Any], who: Principal,
                             status: str | None = None, expected: int | None = None) -> dict[str, Any]:
        if expected is not None and doc["version"] != expected:
            raise HTTPException(409, f"article {doc['_id']} is at version {doc['version']}, not {expected}")
        now = _now()
        try:
            after = art.edited(doc, change, who.name, now, status)
        except art.NoChange:
            return doc  # the same edit again changes nothing: answered like the first time
        after = k.index.stamp(ARTICLE, after, now)
        if not await k.articles.replace(doc, after):
            raise HTTPException(409, f"article {doc['_id']} was changed meanwhile; read it again")
        k.index.apply(ARTICLE, after)
        return after

    @router.get("/articles", tags=["articles"], response_model=list[ArticleOut])
    async def list_articles(who: Reader, status: Literal["active", "retired"] = "active",
                            tag: Tag | None = Query(None), project: Project | None = Query(None),
                            limit: int = Query(100, ge=1, le=500)) -> list[dict[str, Any]]:
        """Articles by status (active by default), optionally of one tag or applying to one project."""
        found = await k.articles.listed(status)
        if tag:
            found = [a for a in found if tag in (a.get("tags") or [])]
        if project:
            found = [a for a in found if not a.get("projects") or project in a["projects"]]
        return [_article(a) for a in sorted(found, key=lambda a: a["_id"])[:limit]]

    @router.post("/articles", tags=["articles"], status_code=201, response_model=ArticleOut,
                 responses={409: error_response(409, "an article with this id exists")})
    async def create_article(body: ArticleIn, who: Curator) -> dict[str, Any]:
        """A new article (version 1)."""
        now = _now()
        article_id = body.id or f"kb-{uuid.uuid4().hex[:12]}"
        doc = k.index.stamp(ARTICLE, art.new_article(article_id, body.model_dump(), who.name, now), now)
        if not await k.articles.create(doc):
            raise HTTPException(409, f"an article {article_id} exists already")
        k.index.apply(ARTICLE, doc)
        return _article(doc)

    @router.get("/articles/{article_id}", tags=["articles"], response_model=ArticleOut,
                responses={404: NOT_FOUND})
    async def get_article(article_id: ArticleId, who: Reader) -> dict[str, Any]:
        return _article(await article_or_404(article_id))

    @router.patch("/articles/{article_id}", tags=["articles"], response_model=ArticleOut,
                  responses={404: NOT_FOUND, 409: CONFLICT})
    async def edit_article(article_id: ArticleId, body: ArticleEdit, who: Curator) -> dict[str, Any]:
        """Change the question, answer, tags or projects: a new version; the previous one is kept."""
        doc = await article_or_404(article_id)
        change = body.model_dump(exclude={"expected_version"}, exclude_none=True)
        return _article(await change_article(doc, change, who, expected=body.expected_version))

    @router.post("/articles/{article_id}/retire", tags=["articles"], response_model=ArticleOut,
                 responses={404: NOT_FOUND, 409: CONFLICT})
    async def retire_article(article_id: ArticleId, who: Curator) -> dict[str, Any]:
        """Out of search and of the active list; its versions stay readable."""
        doc = await article_or_404(article_id)
        return _article(await change_article(doc, {}, who, status=art.RETIRED))

    @router.post("/articles/{article_id}/restore", tags=["articles"], response_model=ArticleOut,
                 responses={404: NOT_FOUND, 409: CONFLICT})
    async def restore_article(article_id: ArticleId, who: Curator) -> dict[str, Any]:
        """A retired article back in search."""
        doc = await article_or_404(article_id)
        return _article(await change_article(doc, {}, who, status=art.ACTIVE))

    @router.get("/articles/{article_id}/versions", tags=["articles"], response_model=list[ArticleVersionOut],
                responses={404: NOT_FOUND})
    async def article_versions(article_id: ArticleId, who: Reader) -> list[dict[str, Any]]:
        """Every version, oldest first (the last is the current one)."""
        doc = await article_or_404(article_id)
        versions = await k.articles.history(article_id)
        if not versions or versions[-1]["version"] < doc["version"]:  # its writer died before the snapshot
            await k.articles.keep_version(doc)
            versions = await k.articles.history(article_id)
        return [_version(v) for v in versions]

    @router.get("/search", tags=["search"], response_model=SearchOut)
    async def search(who: Reader, q: str = Query(min_length=1, max_length=500, description="the words to look for"),
                     limit: int = Query(10, ge=1, le=50),
                     type: Literal["article", "case"] | None = Query(None, description="only articles or only cases"),
                     project: Project | None = Query(None, description="articles of this project or of all, "
                                                                        "cases of this project")) -> dict[str, Any]:
        """Articles and case-library entries for ``q``, best first (BM25 scores, comparable within one query)."""
        types = (type,) if type else (ARTICLE, CASE)
        found = k.index.ranking.search(q, limit, project, types, _department_of(who))
        return {"query": q, "terms": list(dict.fromkeys(k.index.ranking.seg.terms(q))),
                "hits": [_hit(f) for f in found]}

    @router.post("/suggestions", tags=["search"], response_model=SuggestOut)
    async def suggestions(body: SuggestIn, who: Reader) -> dict[str, Any]:
        """For a contact's text: the articles that answer it and similar solved cases."""
        ranking, dept = k.index.ranking, _department_of(who)
        return {"articles": [_hit(f) for f in ranking.search(body.text, body.limit, body.project, (ARTICLE,))],
                "cases": [_hit(f) for f in ranking.search(body.text, body.limit, body.project, (CASE,), dept)]}

    async def entry_or_404(entry_id: str, who: Principal) -> dict[str, Any]:
        doc = await k.library.get(entry_id)
        if doc is None or not who.can_see(doc):
            raise HTTPException(404, f"no case-library entry {entry_id}")
        return doc

    async def change_entry(doc: dict[str, Any], change: dict[str, Any], who: Principal, status: str | None = None,
                           expected: int | None = None) -> dict[str, Any]:
        if expected is not None and doc["version"] != expected:
            raise HTTPException(409, f"entry {doc['_id']} is at version {doc['version']}, not {expected}")
        now = _now()
        after = k.index.stamp(CASE, lib.curated(doc, change, who.name, now, status), now)
        if not await k.library.replace(doc, after):
            raise HTTPException(409, f"entry {doc['_id']} was changed meanwhile; read it again")
        k.index.apply(CASE, after)
        return after

    @router.get("/library", tags=["case library"], response_model=list[EntryOut])
    async def list_entries(who: Reader, status: Literal["candidate", "promoted", "retired"] = "candidate",
                           limit: int = Query(100, ge=1, le=500)) -> list[dict[str, Any]]:
        """Entries by status (candidates: not yet curated); department staff: their department's only."""
        found = [e for e in await k.library.listed(status) if who.can_see(e)]
        return [_entry(e) for e in sorted(found, key=lambda e: e["_id"])[:limit]]

    @router.get("/library/{entry_id}", tags=["case library"], response_model=EntryOut, responses={404: NOT_FOUND})
    async def get_entry(entry_id: EntryId, who: Reader) -> dict[str, Any]:
        return _entry(await entry_or_404(entry_id, who))

    @router.patch("/library/{entry_id}", tags=["case library"], response_model=EntryOut,
                  responses={404: NOT_FOUND, 409: CONFLICT})
    async def edit_entry(entry_id: EntryId, body: EntryEdit, who: Curator) -> dict[str, Any]:
        """Reword the problem or the resolution (stripped again of numbers, names and homes), or the category."""
        doc = await entry_or_404(entry_id, who)
        change = body.model_dump(exclude={"expected_version"}, exclude_none=True)
        return _entry(await change_entry(doc, change, who, expected=body.expected_version))

    @router.post("/library/{entry_id}/promote", tags=["case library"], response_model=EntryOut,
                 responses={404: NOT_FOUND, 409: CONFLICT})
    async def promote_entry(entry_id: EntryId, who: Curator) -> dict[str, Any]:
        """A good example: search ranks it higher."""
        doc = await entry_or_404(entry_id, who)
        return _entry(await change_entry(doc, {}, who, status=lib.PROMOTED))

    @router.post("/library/{entry_id}/retire", tags=["case library"], response_model=EntryOut,
                 responses={404: NOT_FOUND, 409: CONFLICT})
    async def retire_entry(entry_id: EntryId, who: Curator) -> dict[str, Any]:
        """Out of search (a poor or outdated example)."""
        doc = await entry_or_404(entry_id, who)
        return _entry(await change_entry(doc, {}, who, status=lib.RETIRED))

    return router
