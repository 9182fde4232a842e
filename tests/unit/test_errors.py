from sluice import errors
from sluice.errors import NotFound, PayloadTooLarge, SluiceError, error_from_payload


def test_every_error_round_trips_through_the_json_shape():
    for cls in errors._BY_TYPE.values():
        exc = cls("message", code="some_code", details={"a": 1})
        back = error_from_payload(exc.to_payload(), exc.http_status)
        assert type(back) is cls
        assert (back.code, back.message, back.details) == ("some_code", "message", {"a": 1})


def test_status_codes_and_retryable_flags_are_stable():
    assert (NotFound.http_status, NotFound.retryable) == (404, False)
    assert PayloadTooLarge.http_status == 413 and issubclass(PayloadTooLarge, errors.InvalidInput)
    assert errors.Unavailable.retryable and errors.Timeout.retryable
    assert SluiceError("x").code == "internal"


def test_payload_without_error_body_becomes_a_generic_error():
    exc = error_from_payload({"detail": "nope"}, 502)
    assert type(exc) is SluiceError and "502" in exc.message
