import pytest
from kefu_intake.domain.phones import InvalidPhone, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("+8613812345678", "+8613812345678"),
        ("0086 138 1234 5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("＋86 13812345678", "+8613812345678"),
        ("0571-87654321", "+86-571-87654321"),
        ("(0571) 8765-4321", "+86-571-87654321"),
        ("（0571）87654321", "+86-571-87654321"),
        ("0571 8765 4321 转 806", "+86-571-87654321"),
        ("010-12345678", "+86-10-12345678"),
        ("021 6543 2100", "+86-21-65432100"),
        ("+86 10 1234 5678", "+86-10-12345678"),
        ("+86 571 8765 4321", "+86-571-87654321"),
        ("0755-1234567", "+86-755-1234567"),
        ("400-123-4567", "+86-400-1234567"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_the_same_number_written_any_way_is_one_key(raw: str, canonical: str) -> None:
    assert normalise_phone(raw) == canonical


@pytest.mark.parametrize("raw", ["", "abc", "12345", "87654321", "1381234567", "phone: 138", "0571-12"])
def test_what_is_not_a_phone_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Zhang.San@Example.COM ") == "zhang.san@example.com"
    with pytest.raises(ValueError):
        normalise_email("not-an-email")
