"""The command line itself: topic names, selections, exit codes for bad usage (no Kafka needed)."""

from __future__ import annotations

import argparse

import pytest
from kefu_cli import dlq, dlq_args
from kefu_cli.dlq_ranges import Selection


def ns(**kw) -> argparse.Namespace:
    base = {"offset": None, "start": None, "end": None, "last": None, "all": False}
    return argparse.Namespace(**{**base, **kw})


@pytest.mark.parametrize("given", ["call.received", "call.received.dlq", "t1.call.received", "t1.call.received.dlq"])
def test_a_topic_may_be_named_logically_or_physically_with_or_without_dlq(given: str) -> None:
    assert dlq_args.logical_topic(given, "t1") == "call.received"


def test_an_unknown_topic_lists_the_known_ones() -> None:
    with pytest.raises(dlq_args.UsageError, match="unknown topic 'calls'; known topics: call.received, case.assigned"):
        dlq_args.logical_topic("calls", "")


def test_one_selection_at_a_time_and_show_defaults_to_the_last_ones() -> None:
    assert dlq_args.selection(ns(), default_last=20) == Selection(last=20)
    assert dlq_args.selection(ns(start=3, end=5), default_last=None) == Selection(start=3, end=5)
    with pytest.raises(dlq_args.UsageError, match="say which messages"):
        dlq_args.selection(ns(), default_last=None)
    with pytest.raises(dlq_args.UsageError, match="choose one of --offset, --all"):
        dlq_args.selection(ns(offset=1, all=True), default_last=None)


def test_usage_errors_exit_2_before_touching_kafka(capsys) -> None:
    unreachable = ["--bootstrap", "127.0.0.1:9"]
    assert dlq.main(["show", "nope", *unreachable]) == dlq_args.EXIT_USAGE
    assert "known topics" in capsys.readouterr().err
    assert dlq.main(["replay", "call.received", *unreachable]) == dlq_args.EXIT_USAGE
    assert dlq.main(["purge", "call.received", *unreachable]) == dlq_args.EXIT_USAGE  # --before or --all required
    assert dlq.main(["list", "--namespace", "Bad-NS", *unreachable]) == dlq_args.EXIT_USAGE
    assert dlq.main(["--help"]) == 0
    assert "exit codes" in capsys.readouterr().out


def test_kafka_unreachable_says_where_it_tried(capsys) -> None:
    assert dlq.main(["list", "--bootstrap", "127.0.0.1:9"]) == dlq_args.EXIT_KAFKA
    assert "Kafka is not reachable at 127.0.0.1:9" in capsys.readouterr().err


def test_the_actor_is_given_or_the_user(monkeypatch) -> None:
    monkeypatch.setenv("USER", "li")
    assert dlq_args.actor(None) == "li"
    assert dlq_args.actor("wang") == "wang"
