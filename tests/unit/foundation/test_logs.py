import json
import logging

from hypothesis import example, given
from hypothesis import strategies as st

from app.logs import SENSITIVE_VALUE, JsonFormatter, redact, redact_text


def _format(**extra):
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "levelno": 20,
                                    "msg": "event", **extra})
    return json.loads(JsonFormatter().format(record))


def test_sensitive_fields_are_redacted_by_name():
    line = _format(password="hunter2hunter2", refresh_token="abc", email="a@b.c",
                   download_url="https://x/y", checkout_session_id="cs_1")
    assert line["password"] == "[redacted]"
    assert line["refresh_token"] == "[redacted]"
    assert line["download_url"] == "[redacted]"
    assert line["email"] == "a@b.c"
    assert line["checkout_session_id"] == "cs_1"


def test_secrets_inside_messages_are_redacted():
    text = ("GET https://storage.googleapis.com/b/o?X-Goog-Signature=deadbeef&X-Goog-Expires=60 "
            "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sig key sk_live_abcdef123456")
    out = redact_text(text)
    assert "deadbeef" not in out and "eyJhbGciOi" not in out and "abcdef123456" not in out
    assert "X-Goog-Signature=[redacted]" in out


def test_nested_values_are_redacted():
    assert redact({"user": {"password": "p", "name": "n"}}) == {
        "user": {"password": "[redacted]", "name": "n"}}


def test_json_lines_carry_level_logger_and_extras():
    line = _format(job_id="render-1", frames=10)
    assert line["level"] == "info" and line["logger"] == "t" and line["event"] == "event"
    assert line["job_id"] == "render-1" and line["frames"] == 10


SECRETISH = st.sampled_from(["Bearer ", "bearer\t", "?signature=", "&X-Goog-Credential=", "?token=",
                             "sk_live_", "rk_test_", "pk_", "whsec_", "SG.", "eyJ", ".", "_", "&",
                             "abcdef123456", "0123456789ABCDEFGHIJ", "-", " ", "x"])


@given(st.lists(SECRETISH | st.text(max_size=12), max_size=12).map("".join))
@example("Authorization: Bearer abc.def")
@example("https://x/o?X-Goog-Signature=deadbeef&X-Goog-Expires=60")
@example("key sk_live_abcdef123456 and whsec_0123456789")
@example("SG.abcdefghijkl.mnopqrstuvwx")
@example("token eyJhbGciOi.eyJzdWIiOi.sig")
def test_the_quick_check_never_skips_a_secret(text):
    every_pattern = text
    for pattern, replacement in SENSITIVE_VALUE:
        every_pattern = pattern.sub(replacement, every_pattern)
    assert redact_text(text) == every_pattern


@given(st.floats(min_value=0, max_value=4102444800, allow_nan=False))
@example(1.9999996)
@example(1764915776.9329)
@example(1764915776.0)
def test_the_timestamp_is_the_datetime_to_the_millisecond(created):
    from datetime import UTC, datetime

    from app.logs import timestamp
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert timestamp(created) == expected
    assert timestamp(created) == expected  # the second remembered gives the same text
