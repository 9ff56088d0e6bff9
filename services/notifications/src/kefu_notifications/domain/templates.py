"""Message templates as data (``templates.toml``): Chinese by default, English when the owner asked for it.

A template names the event's fields as ``${field}`` (nested fields flattened with
``_``: ``${customer_name}``). A field the event does not carry is an error the
sender sees, never a message with a hole in it or an empty one: the message is
recorded as failed with that error and ``notification.failed`` is published.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_LOCALE = "zh"
LOCALES = ("zh", "en")


class TemplateError(Exception):
    """A template cannot be rendered (unknown template, or a field the event does not carry)."""

    def __init__(self, template: str, message: str, field: str | None = None) -> None:
        super().__init__(f"template {template!r}: {message}")
        self.template = template
        self.field = field


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    template: str
    locale: str
    subject: str
    body: str


@dataclass(frozen=True)
class TemplateBook:
    templates: dict[str, dict[str, Text]]  # id -> locale -> text

    def render(self, template_id: str, locale: str, fields: dict[str, Any]) -> Rendered:
        """The message in ``locale`` (Chinese when the template has no such translation)."""
        texts = self.templates.get(template_id)
        if texts is None:
            raise TemplateError(template_id, "no such template")
        chosen = locale if locale in texts else DEFAULT_LOCALE
        text = texts[chosen]
        subject = _fill(template_id, text.subject, fields)
        body = _fill(template_id, text.body, fields)
        if not body.strip():
            raise TemplateError(template_id, "rendered an empty message")
        return Rendered(template_id, chosen, subject, body)


def _fill(template_id: str, text: str, fields: dict[str, Any]) -> str:
    try:
        return Template(text).substitute(fields)
    except KeyError as exc:
        field = str(exc.args[0])
        raise TemplateError(template_id, f"the event has no field {field!r}", field=field) from None


def message_fields(event: Any, zone: ZoneInfo) -> dict[str, Any]:
    """An event's fields for templates: nested ones flattened with ``_``, times in ``zone``, absent ones left out."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}_{key}" if prefix else key, inner)
        elif isinstance(value, datetime):
            out[prefix] = value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, Enum):
            out[prefix] = value.value
        elif isinstance(value, list):
            out[prefix] = "、".join(str(v) for v in value)
        else:
            out[prefix] = value

    walk("", event.model_dump())
    return out


def parse_templates(data: dict[str, Any]) -> TemplateBook:
    """Validate ``[[template]]`` entries: an id, a Chinese body, well-formed ``${field}`` placeholders."""
    templates: dict[str, dict[str, Text]] = {}
    for entry in data.get("template", []):
        tid = entry.get("id")
        if not isinstance(tid, str) or not tid:
            raise ValueError(f"every template needs an id, got {entry!r}")
        if tid in templates:
            raise ValueError(f"template {tid} is defined twice")
        unknown = sorted(set(entry) - {"id", *LOCALES})
        if unknown:
            raise ValueError(f"template {tid}: unknown keys {unknown} (locales are {list(LOCALES)})")
        if DEFAULT_LOCALE not in entry:
            raise ValueError(f"template {tid} needs a Chinese ({DEFAULT_LOCALE}) text")
        texts: dict[str, Text] = {}
        for locale in LOCALES:
            if locale not in entry:
                continue
            body, subject = entry[locale].get("body"), entry[locale].get("subject", "")
            if not isinstance(body, str) or not body.strip():
                raise ValueError(f"template {tid} ({locale}) needs a body")
            for text in (subject, body):
                if not Template(text).is_valid():
                    raise ValueError(f"template {tid} ({locale}): malformed placeholder in {text!r}")
            texts[locale] = Text(subject, body)
        templates[tid] = texts
    return TemplateBook(templates)


@lru_cache(maxsize=1)
def default_templates() -> TemplateBook:
    text = resources.files("kefu_notifications.domain").joinpath("templates.toml").read_text(encoding="utf-8")
    return parse_templates(tomllib.loads(text))
