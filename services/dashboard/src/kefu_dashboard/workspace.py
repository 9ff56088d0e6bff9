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
from kefu_kit.auth import Allowed, Role, public
from pydantic import BaseModel

from .settings import Settings

STATIC = resources.files("kefu_dashboard") / "static"


# The people with a screen on the workspace: call takers, departments, approvers. (The dashboard's own
# readers are fewer: a hotline agent has no board, but takes calls here.)
WORKSPACE_USERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF, Role.AFTERSALES_SUPERVISOR,
                   Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)


class WorkspaceUser(BaseModel):
    """Who signed in: the page picks the screens of the role (each service still checks every call)."""

    name: str
    role: str
    department: str | None
    sees_all: bool


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

    @router.get("/api/workspace/me", response_model=WorkspaceUser)
    async def workspace_me(who: Allowed(*WORKSPACE_USERS)) -> WorkspaceUser:
        """Who the token belongs to, for the workspace's sign-in (401 unknown token, 403 a role with no screen)."""
        return WorkspaceUser(name=who.name, role=who.role, department=who.department, sees_all=who.sees_all)

    return router
