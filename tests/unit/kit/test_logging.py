import json
import logging

from kefu_kit.logging import configure_logging, get_logger


def test_log_lines_are_json_and_never_show_phone_email_or_id(capsys) -> None:
    configure_logging("test", "INFO", "json")
    get_logger("t").info("caller rang", phone="13812345678", note="邮箱 li@example.com 身份证330106199001011234")
    logging.getLogger("faststream").warning("foreign logger saw 13912345678")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    text = json.dumps(lines, ensure_ascii=False)
    for secret in ("13812345678", "li@example.com", "19900101", "13912345678"):
        assert secret not in text
    assert lines[0]["event"] == "caller rang"
    assert lines[0]["service"] == "test"
    assert lines[0]["level"] == "info"
