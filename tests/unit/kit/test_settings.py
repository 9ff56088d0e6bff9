import pytest
from kefu_intake.settings import Settings as IntakeSettings
from kefu_routing.settings import Settings as RoutingSettings


def test_each_service_has_its_own_group_database_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_NAMESPACE", raising=False)
    monkeypatch.delenv("KEFU_HTTP_PORT", raising=False)
    intake, routing = IntakeSettings(), RoutingSettings()
    assert (intake.group_id, intake.database) == ("kefu-intake", "kefu_intake")
    assert (routing.group_id, routing.database) == ("kefu-routing", "kefu_routing")
    assert intake.port != routing.port


def test_namespace_prefixes_topics_groups_and_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_NAMESPACE", "staging")
    s = IntakeSettings()
    assert s.topics("call.received") == "staging.call.received"
    assert s.group_id == "staging.kefu-intake"
    assert s.database == "staging_kefu_intake"


def test_bad_namespace_is_refused_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_NAMESPACE", "Bad Name!")
    with pytest.raises(ValueError, match="KEFU_NAMESPACE"):
        IntakeSettings()


def test_service_specific_port_overrides_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_HTTP_PORT", "9000")
    monkeypatch.setenv("KEFU_INTAKE_HTTP_PORT", "9101")
    assert IntakeSettings().port == 9101
    assert RoutingSettings().port == 9000


def test_service_specific_store_overrides_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each service can own a store server of its own; the others keep the shared one."""
    monkeypatch.setenv("KEFU_MONGO_URL", "mongodb://127.0.0.1:27017")
    monkeypatch.setenv("KEFU_ROUTING_MONGO_URL", "mongodb://127.0.0.1:27102")
    assert RoutingSettings().mongo_url == "mongodb://127.0.0.1:27102"
    assert IntakeSettings().mongo_url == "mongodb://127.0.0.1:27017"


def test_one_rule_finds_a_services_store_for_services_and_tools() -> None:
    """The tools that read a service's database (bench, ``kefu rebuild``) use the services' own rule."""
    from kefu_kit.settings import DEFAULT_MONGO_URL, is_service_mongo_url_var, service_mongo_url

    env = {"KEFU_MONGO_URL": "mongodb://shared:1/", "KEFU_ROUTING_MONGO_URL": "mongodb://routing:2/"}
    assert service_mongo_url("routing", env) == "mongodb://routing:2/"
    assert service_mongo_url("intake", env) == "mongodb://shared:1/"
    assert service_mongo_url("intake", {}) == DEFAULT_MONGO_URL
    assert is_service_mongo_url_var("KEFU_ROUTING_MONGO_URL")
    assert not is_service_mongo_url_var("KEFU_MONGO_URL")
    assert not is_service_mongo_url_var("OTHER_ROUTING_MONGO_URL")
