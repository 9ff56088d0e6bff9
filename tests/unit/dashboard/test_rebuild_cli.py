"""``kefu rebuild``'s command line: what it accepts, how it reports, and its refusal while the service runs.

The rebuild itself runs on real servers in tests/e2e/test_dashboard_rebuild.py.
"""

from __future__ import annotations

from collections import Counter

import pytest
from kefu_cli import rebuild as cli
from kefu_dashboard import rebuild
from kefu_dashboard.rebuild import RebuildResult, ServiceRunning


def test_only_the_dashboard_can_be_rebuilt() -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["routing"])
    assert exit_.value.code == 2


def test_settings_come_from_the_options(monkeypatch, capsys) -> None:
    seen = {}

    async def fake(settings, into, progress):
        seen.update(namespace=settings.namespace, bootstrap=settings.kafka_bootstrap, mongo=settings.mongo_url,
                    into=into, group=settings.group_id)
        return RebuildResult("other", live=False, events=Counter({"case.opened": 3}))

    monkeypatch.setattr(rebuild, "rebuild", fake)
    assert cli.main(["dashboard", "--namespace", "demo", "--bootstrap", "k:1", "--mongo-url", "mongodb://m",
                     "--into", "other"]) == 0
    assert seen == {"namespace": "demo", "bootstrap": "k:1", "mongo": "mongodb://m", "into": "other",
                    "group": "demo.kefu-dashboard"}
    assert "rebuilt other from 3 events (case.opened 3)" in capsys.readouterr().out


def test_the_store_is_the_dashboards_own_unless_given(monkeypatch) -> None:
    """With the stack's per-service stores the dashboard's database is on its own server: rebuild finds it there;
    an explicit --mongo-url still wins over KEFU_DASHBOARD_MONGO_URL."""
    seen = []

    async def fake(settings, into, progress):
        seen.append(settings.mongo_url)
        return RebuildResult("kefu_dashboard", live=False, events=Counter())

    monkeypatch.setattr(rebuild, "rebuild", fake)
    monkeypatch.setenv("KEFU_MONGO_URL", "mongodb://shared:1/")
    monkeypatch.setenv("KEFU_DASHBOARD_MONGO_URL", "mongodb://dashboard:2/")
    assert cli.main(["dashboard"]) == 0
    assert cli.main(["dashboard", "--mongo-url", "mongodb://given:3/"]) == 0
    assert seen == ["mongodb://dashboard:2/", "mongodb://given:3/"]


def test_a_running_service_is_a_refusal_with_exit_code_1(monkeypatch, capsys) -> None:
    async def running(settings, into, progress):
        raise ServiceRunning("consumer group kefu-dashboard has 1 active member(s)")

    monkeypatch.setattr(rebuild, "rebuild", running)
    assert cli.main(["dashboard"]) == 1
    assert "refused: consumer group kefu-dashboard has 1 active member(s)" in capsys.readouterr().err
