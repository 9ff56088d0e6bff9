"""Providers against real protocol servers: SMTP (a small asyncio SMTP server), signed webhooks and
an HTTP gateway (a local HTTP server that verifies what it gets)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from typing import Any

import pytest
from kefu_notifications.adapters.providers import (
    GatewayProvider,
    Outgoing,
    ProviderError,
    SmtpConfig,
    SmtpProvider,
    WebhookProvider,
)

from e2e.test_notifications import SECRET, WebhookReceiver

pytestmark = pytest.mark.integration


class SmtpServer:
    """Just enough of RFC 5321 to receive mail: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    ``refuse_rcpt`` answers 550 to RCPT, as a server does for an unknown mailbox.
    """

    def __init__(self, refuse_rcpt: bool = False) -> None:
        self.refuse_rcpt = refuse_rcpt
        self.mails: list[dict[str, Any]] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> "SmtpServer":
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        reply("220 test-smtp ready")
        sender, recipients = None, []
        while line := await reader.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 test-smtp")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip("<> "), []
                reply("250 OK")
            elif verb == "RCPT":
                if self.refuse_rcpt:
                    reply("550 no such mailbox")
                else:
                    recipients.append(command[8:].strip("<> "))
                    reply("250 OK")
            elif verb == "DATA":
                reply("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                data = bytearray()
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.mails.append({"from": sender, "to": recipients,
                                   "message": email.message_from_bytes(bytes(data), policy=email.policy.default)})
                reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            else:
                reply("502 not implemented")
            await writer.drain()
        writer.close()


def outgoing(address: str, channel: str = "email") -> Outgoing:
    return Outgoing("notification-abc", "role:cs_manager", channel, address, "投诉升级：案件 K1 升至 2 级",
                    "【投诉升级】案件 K1 已升至 2 级，请审批处理方案。", "complaint_escalated.approver", "K1")


async def test_smtp_delivers_a_chinese_mail_with_a_message_id_from_the_message() -> None:
    async with SmtpServer() as server:
        provider = SmtpProvider(SmtpConfig("127.0.0.1", server.port, sender="kefu@example.com", timeout_s=5))
        provider_id = await provider.send(outgoing("manager@example.com"))
    (mail,) = server.mails
    assert mail["to"] == ["manager@example.com"] and mail["from"] == "kefu@example.com"
    message = mail["message"]
    assert message["Subject"] == "投诉升级：案件 K1 升至 2 级"
    assert "请审批处理方案" in message.get_content()
    assert provider_id == message["Message-ID"] == "<notification-abc@kefu>"


async def test_smtp_refusal_and_unreachable_server_are_provider_errors() -> None:
    async with SmtpServer(refuse_rcpt=True) as server:
        with pytest.raises(ProviderError, match="SMTP"):
            await SmtpProvider(SmtpConfig("127.0.0.1", server.port, timeout_s=5)).send(outgoing("x@example.com"))
        port = server.port
    with pytest.raises(ProviderError):
        await SmtpProvider(SmtpConfig("127.0.0.1", port, timeout_s=2)).send(outgoing("x@example.com"))


async def test_webhooks_are_signed_so_the_receiver_can_verify_them() -> None:
    with WebhookReceiver() as receiver:
        provider_id = await WebhookProvider(SECRET.encode()).send(outgoing(receiver.url, "webhook"))
        (request,) = receiver.requests
    assert provider_id == "rcv-1" and receiver.bad_signatures == 0
    assert request["body"]["text"].startswith("【投诉升级】") and request["body"]["case_id"] == "K1"


async def test_a_webhook_with_the_wrong_secret_is_refused_and_that_is_a_provider_error() -> None:
    with WebhookReceiver() as receiver:
        with pytest.raises(ProviderError, match="HTTP 401"):
            await WebhookProvider(b"wrong secret").send(outgoing(receiver.url, "webhook"))
        assert receiver.bad_signatures == 1 and receiver.requests == []


async def test_a_failing_or_unreachable_endpoint_is_a_provider_error() -> None:
    with WebhookReceiver(always_fail=True) as receiver:
        with pytest.raises(ProviderError, match="HTTP 500"):
            await WebhookProvider(SECRET.encode()).send(outgoing(receiver.url, "webhook"))
        url = receiver.url
    with pytest.raises(ProviderError, match="ConnectError"):
        await WebhookProvider(SECRET.encode(), timeout=2).send(outgoing(url, "webhook"))


async def test_the_sms_gateway_gets_json_with_the_number_and_the_text() -> None:
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)}
        body = await reader.readexactly(int(headers["content-length"]))
        received.append((headers, json.loads(body)))
        answer = b'{"message_id": "gw-42"}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                     b"connection: close\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        provider = GatewayProvider(f"http://127.0.0.1:{port}/sms", token="tok")
        assert await provider.send(outgoing("13912345678", "sms")) == "gw-42"
    finally:
        server.close()
        await server.wait_closed()
    ((headers, body),) = received
    assert headers["authorization"] == "Bearer tok" and headers["x-kefu-message-id"] == "notification-abc"
    assert body["to"] == "13912345678" and body["channel"] == "sms" and "请审批" in body["text"]
