import pytest
from kefu_routing.domain.lifecycle import InvalidTransition, is_open, next_status


def test_the_normal_path() -> None:
    status = "assigned"
    for command, expected in (("acknowledge", "in_progress"), ("resolve", "resolved"), ("close", "closed")):
        status = next_status(command, status)
        assert status == expected


def test_waiting_on_the_owner_and_back() -> None:
    assert next_status("wait_on_owner", "in_progress") == "waiting_on_owner"
    assert next_status("resume", "waiting_on_owner") == "in_progress"


def test_reopen_after_resolve_or_close_and_work_again() -> None:
    assert next_status("reopen", "closed") == "reopened"
    assert next_status("reopen", "resolved") == "reopened"
    assert next_status("acknowledge", "reopened") == "in_progress"


@pytest.mark.parametrize(("command", "status"), [
    ("close", "in_progress"), ("close", "assigned"), ("reopen", "in_progress"),
    ("resume", "in_progress"), ("acknowledge", "closed"), ("resolve", "waiting_on_owner"), ("fly", "assigned"),
])
def test_invalid_transitions_say_why(command: str, status: str) -> None:
    with pytest.raises(InvalidTransition, match="cannot|unknown"):
        next_status(command, status)


def test_open_statuses() -> None:
    assert is_open("assigned") and is_open("waiting_on_owner") and is_open("reopened")
    assert not is_open("resolved") and not is_open("closed")
