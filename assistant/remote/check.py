"""Test a provider: is the server there, which models does it have, does the chosen model take
pictures, and how long does a round trip take. For `models test PROVIDER` and the Settings page.

The picture check sends a small generated test pattern, never one of the user's pictures. It asks
for one token twice, with and without the pattern: a server that refuses pictures says so in its
error, and one that silently drops them (some do) counts the same prompt tokens both times.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from PIL import Image, ImageDraw

from ..errors import AssistantError, RemoteUnavailable
from .client import RemoteClient, model_listed
from .images import prepare_image
from .providers import Provider
from .secrets import get_api_key, key_source

PROBE_TEXT = "Say OK."


@dataclass
class ConnectionReport:
    provider: str
    label: str
    base_url: str
    model: str = ""
    ok: bool = False  # the server answered and the model exists
    models: list[str] = field(default_factory=list)
    model_listed: bool | None = None
    vision: bool | None = None  # True: the model read the test picture; False: refused or ignored it
    vision_how: str = ""  # "server says" | "picture counted" | "refused" | "ignored" | ""
    list_ms: float | None = None  # listing the models: the server's round trip
    probe_ms: float | None = None  # a one-token answer about the test picture
    key: str = ""  # where the key comes from (never the key)
    error: str = ""  # a plain sentence
    error_reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def sentences(self) -> list[str]:
        """The report in plain sentences. Model names come from the server: gate them before showing."""
        lines: list[str] = []
        if self.list_ms is not None:
            lines.append(f"{self.label} answered in {_ms(self.list_ms)}.")
        if self.models:
            shown = ", ".join(self.models[:10])
            more = f" and {len(self.models) - 10} more" if len(self.models) > 10 else ""
            lines.append(f"It has {len(self.models)} model{'s' if len(self.models) != 1 else ''}: {shown}{more}.")
        if self.model and self.model_listed is False:
            lines.append(f"The model {self.model} is not among them.")
        if self.vision is True:
            lines.append(f"The model {self.model} accepts pictures.")
        elif self.vision is False:
            lines.append(f"The model {self.model} does not accept pictures.")
        elif self.model and not self.error:
            lines.append(f"Whether {self.model} reads pictures could not be confirmed.")
        if self.probe_ms is not None:
            lines.append(f"A short answer about a test picture took {_ms(self.probe_ms)}.")
        if self.error:
            lines.append(self.error)
        return lines


def test_connection(provider: Provider, *, api_key: str | None = None, probe: bool = True) -> ConnectionReport:
    """Check `provider` (with its configured model, or the server's first). Never raises for a
    server problem: the report's `error` says it in a plain sentence."""
    key = api_key if api_key is not None else get_api_key(provider)
    report = ConnectionReport(provider.name, provider.label, provider.base_url, model=provider.model)
    report.key = "given" if api_key else key_source(provider)
    try:
        client = RemoteClient(provider, key, connect_timeout=5.0, read_timeout=min(provider.read_timeout, 60.0))
        try:
            _check(client, report, probe)
        finally:
            client.close()
    except AssistantError as exc:  # a bad address is reported like any server problem
        report.error, report.error_reason = exc.message, getattr(exc, "reason", exc.kind)
    report.ok = not report.error and report.model_listed is not False
    return report


def _check(client: RemoteClient, report: ConnectionReport, probe: bool) -> None:
    started = time.perf_counter()
    report.models = [m.id for m in client.list_models()]
    report.list_ms = (time.perf_counter() - started) * 1000
    if not report.model:
        report.model = report.models[0] if report.models else ""
    if not report.model:
        report.error, report.error_reason = f"{report.label} has no model loaded.", "model_missing"
        return
    report.model_listed = model_listed(report.model, report.models) if report.models else None
    if report.model_listed is False:
        return
    said = client.model_accepts_pictures(report.model)
    if said is not None:
        report.vision, report.vision_how = said, "server says"
    if probe and said is not False:
        _probe_vision(client, report)


def _probe_vision(client: RemoteClient, report: ConnectionReport) -> None:
    picture = prepare_image(test_pattern(), client.provider.max_edge, client.provider.max_bytes)
    with_picture = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": picture.data_url}},
                {"type": "text", "text": PROBE_TEXT},
            ],
        }
    ]
    started = time.perf_counter()
    try:
        _, picture_tokens = client.complete(report.model, with_picture, max_tokens=1)
    except RemoteUnavailable as exc:
        if exc.reason == "no_vision":
            report.vision, report.vision_how = False, "refused"
            return
        raise
    report.probe_ms = (time.perf_counter() - started) * 1000
    if report.vision is not None:
        return
    _, text_tokens = client.complete(report.model, [{"role": "user", "content": PROBE_TEXT}], max_tokens=1)
    if picture_tokens is None or text_tokens is None:
        return  # the server reports no token counts: cannot tell
    if picture_tokens > text_tokens:
        report.vision, report.vision_how = True, "picture counted"
    else:
        report.vision, report.vision_how = False, "ignored"


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


def test_pattern() -> Image.Image:
    """A small generated picture (shapes and a word), never a user's."""
    image = Image.new("RGB", (224, 224), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 112, 112), fill="red")
    draw.ellipse((120, 120, 208, 208), fill="blue")
    draw.text((20, 150), "TEST", fill="black")
    return image


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f} seconds"
    return f"{value:.0f} milliseconds"
