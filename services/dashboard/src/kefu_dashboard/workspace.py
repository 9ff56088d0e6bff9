"""The agent workspace (坐席工作台): a page for agents, departments and approvers, served at ``/workspace``.

The page is static HTML and script; everything it shows comes from the services'
own APIs, called from the browser with the signed-in person's token (intake,
routing, membership, knowledge: each allows the dashboard's origin by CORS). It
learns where those services are from ``/api/workspace-config``, which holds only
addresses, so it is open like the page itself.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse
from kefu_kit.auth import public
from pydantic import BaseModel

from .settings import Settings

STATIC = resources.files("kefu_dashboard") / "static"


class WorkspaceConfig(BaseModel):
    """Base URLs of the services the workspace page calls (no trailing slash)."""

    intake: str
    routing: str
    surveys: str
    membership: str
    knowledge: str


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["page"])
    config = WorkspaceConfig(**{name: getattr(settings, f"{name}_url").rstrip("/")
                                for name in WorkspaceConfig.model_fields})

    @router.get("/workspace", include_in_schema=False,
                openapi_extra=public("the workspace's HTML; its data comes from the services, with the user's token"))
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "workspace.html"), headers={"Cache-Control": "no-cache"})

    @router.get("/api/workspace-config", response_model=WorkspaceConfig,
                openapi_extra=public("service addresses for the workspace page; no data"))
    async def workspace_config() -> WorkspaceConfig:
        """Where the workspace page finds intake, routing, surveys, membership and knowledge."""
        return config

    return router
