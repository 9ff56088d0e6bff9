"""``make bench``'s store choice: per-service by default (what the local stack runs), and no leaks from the shell."""

from __future__ import annotations

from kefu_cli.bench import parser, services_env


def test_the_default_is_a_store_per_service() -> None:
    assert parser().parse_args([]).stores == "per-service"
    assert parser().parse_args(["--stores", "shared"]).stores == "shared"


def test_shared_runs_every_service_on_the_one_server_even_after_eval_of_the_stacks_env() -> None:
    shell = {"PATH": "/bin", "KEFU_MONGO_URL": "mongodb://stack:27017/",
             "KEFU_ROUTING_MONGO_URL": "mongodb://stack:27019/"}
    env = services_env(shell, "k:9092", "mongodb://shared:1/", "bench1", {})
    assert env["KEFU_MONGO_URL"] == "mongodb://shared:1/"
    assert "KEFU_ROUTING_MONGO_URL" not in env
    assert env["PATH"] == "/bin" and env["KEFU_NAMESPACE"] == "bench1"


def test_the_benchs_own_servers_are_each_services_store() -> None:
    shell = {"KEFU_ROUTING_MONGO_URL": "mongodb://stack:27019/"}
    own = {"KEFU_ROUTING_MONGO_URL": "mongodb://127.0.0.1:40001/",
           "KEFU_INTAKE_MONGO_URL": "mongodb://127.0.0.1:40002/"}
    env = services_env(shell, "k:9092", "mongodb://shared:1/", "bench1", own)
    assert env["KEFU_ROUTING_MONGO_URL"] == "mongodb://127.0.0.1:40001/"
    assert env["KEFU_INTAKE_MONGO_URL"] == "mongodb://127.0.0.1:40002/"
