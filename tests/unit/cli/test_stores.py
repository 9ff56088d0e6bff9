"""``kefu_cli.stores``: a CLI tool opens the store its service writes to, also with the stack's per-service stores."""

from __future__ import annotations

from pathlib import Path

from kefu_cli.stores import local_stack_store_urls, service_store_url
from kefu_kit.settings import DEFAULT_MONGO_URL


def stack_with_stores(tmp_path: Path) -> Path:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "stores.env").write_text(
        "# written by deploy/local/stack.sh start\n"
        "export KEFU_INTAKE_MONGO_URL=mongodb://127.0.0.1:27018/\n"
        "export KEFU_DASHBOARD_MONGO_URL=mongodb://127.0.0.1:27023/\n")
    return tmp_path


def test_the_stacks_file_is_read(tmp_path: Path) -> None:
    assert local_stack_store_urls(stack_with_stores(tmp_path)) == {
        "KEFU_INTAKE_MONGO_URL": "mongodb://127.0.0.1:27018/",
        "KEFU_DASHBOARD_MONGO_URL": "mongodb://127.0.0.1:27023/"}
    assert local_stack_store_urls(tmp_path / "nothing") == {}


def test_with_nothing_set_a_tool_finds_the_local_stacks_store_of_the_service(tmp_path: Path) -> None:
    env = {"KEFU_STACK_DIR": str(stack_with_stores(tmp_path))}
    assert service_store_url("dashboard", env) == "mongodb://127.0.0.1:27023/"
    assert service_store_url("routing", env) == DEFAULT_MONGO_URL  # no store of its own: the default server


def test_the_environment_beats_the_file(tmp_path: Path) -> None:
    """``KEFU_MONGO_URL`` (a test run, another server) is never redirected to the stack's per-service stores."""
    stack = str(stack_with_stores(tmp_path))
    given = {"KEFU_STACK_DIR": stack, "KEFU_MONGO_URL": "mongodb://m:1/"}
    assert service_store_url("dashboard", given) == "mongodb://m:1/"
    assert service_store_url("dashboard", {"KEFU_STACK_DIR": stack, "KEFU_MONGO_URL": "mongodb://m:1/",
                                           "KEFU_DASHBOARD_MONGO_URL": "mongodb://d:2/"}) == "mongodb://d:2/"
