"""The owner's club link: it names one member until its expiry, and nothing else verifies."""

from datetime import datetime, timedelta, timezone

import pytest

from kefu_membership.owner_links import BadLink, ExpiredLink, OwnerLinks

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
LINKS = OwnerLinks(b"0123456789abcdef-secret", "https://club.example.cn/", timedelta(days=30))


def test_a_link_names_its_member_until_it_expires() -> None:
    token, url, expires_at = LINKS.issue("M0123456789AB", NOW)
    assert url == f"https://club.example.cn/o/{token}" and expires_at == NOW + timedelta(days=30)
    assert LINKS.member_of(token, NOW) == "M0123456789AB"
    assert LINKS.member_of(token, expires_at - timedelta(seconds=1)) == "M0123456789AB"
    with pytest.raises(ExpiredLink):
        LINKS.member_of(token, expires_at)


def test_a_changed_member_expiry_or_signature_and_another_secret_are_refused() -> None:
    token, _, _ = LINKS.issue("M0123456789AB", NOW)
    member, expires, signature = token.split(".")
    for bad in (f"MFFFFFFFFFFFF.{expires}.{signature}", f"{member}.{int(expires) + 1}.{signature}",
                f"{member}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
                f"{member}.{expires}", "", "x" * 80, f"m0123456789ab.{expires}.{signature}",
                OwnerLinks(b"another-secret-0123456789", "", timedelta(days=1)).token(member, NOW + timedelta(days=1))):
        with pytest.raises(BadLink):
            LINKS.member_of(bad, NOW)


def test_a_short_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        OwnerLinks(b"short", "", timedelta(days=1))
