from sluice.core.quality.pii import find_pii, iban_ok, luhn_ok, redact


def kinds(text):
    return [f.kind for f in find_pii(text)]


def test_luhn_and_iban_checks():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and iban_ok("DE89370400440532013000")
    assert not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_finds_each_kind_and_ignores_lookalikes():
    text = ("Mail ana@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111, "
            "IBAN DE89 3704 0044 0532 0130 00. Order 1234567890123456 is not a card.")
    assert kinds(text) == ["email", "phone", "card", "iban"]
    assert kinds("version 2024-01-15 and 3.14159") == []


def test_redact_replaces_findings_with_labels():
    assert redact("write to bo@x.org now") == "write to [EMAIL] now"
    assert redact("nothing here") == "nothing here"
