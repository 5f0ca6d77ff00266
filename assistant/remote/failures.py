"""Every way a remote request can fail, as one plain sentence (RemoteUnavailable).

The server's own error text is read only to tell failures apart (a model without vision, a
missing model); it is never spoken, because it is untrusted and may even quote the API key.
Everything logged goes through `scrub` first.
"""

from __future__ import annotations

import email.utils
import re
import socket
import ssl
import time
from typing import Any

from ..errors import RemoteUnavailable
from ..logs import get_logger
from .providers import Provider
from .secrets import scrub

log = get_logger(__name__)

NO_VISION = re.compile(
    r"missing data required for image input|image input is not supported|mmproj|"
    r"does not support (?:image|images|vision|multimodal|multi-modal)|"
    r"(?:images?|vision|image input) (?:is |are )?not supported|not a multimodal model|non-multimodal|"
    r"image_url is only supported|only supports? text|support image input",
    re.IGNORECASE,
)
MODEL_MISSING = re.compile(
    r"model[^.]{0,120}?(?:not found|does not exist|doesn't exist|not available|unknown|not loaded|no such)|"
    r"(?:unknown|invalid|unsupported) model|model_not_found|server is pinned to|try pulling it|"
    r"no model (?:named|loaded)",
    re.IGNORECASE,
)
TOO_LARGE = re.compile(
    r"too large|payload|request entity|maximum (?:context|image|size)|context length|too many tokens|exceeds",
    re.IGNORECASE,
)
QUOTA = re.compile(r"insufficient_quota|quota|billing|credit", re.IGNORECASE)


def explain(
    exc: BaseException,
    provider: Provider,
    *,
    model: str,
    key: str | None = None,
    partial: bool = False,
    picture: tuple[int, int] | None = None,
) -> RemoteUnavailable:
    """The RemoteUnavailable for a failed request to `provider` (never quoting the key)."""
    status = getattr(exc, "status_code", None)
    detail = scrub(server_text(exc), [key])
    log.warning(
        "remote request to %s failed: %s%s%s",
        provider.host,
        type(exc).__name__,
        f" (HTTP {status})" if status else "",
        f": {detail[:300]}" if detail else "",
    )
    if isinstance(status, int):
        error = _from_status(status, detail, exc, provider, model, key, picture)
    else:
        error = _from_transport(exc, detail, provider, model, partial)
    error.partial = partial
    return error


def _fail(provider: Provider, reason: str, message: str, **extra: Any) -> RemoteUnavailable:
    return RemoteUnavailable(message, reason=reason, provider=provider.name, host=provider.host, **extra)


def _from_status(
    status: int,
    detail: str,
    exc: BaseException,
    provider: Provider,
    model: str,
    key: str | None,
    picture: tuple[int, int] | None,
) -> RemoteUnavailable:
    where = f"The picture server at {provider.host}"
    if NO_VISION.search(detail):
        return no_vision(provider, model)
    if status == 401:
        if not key:
            return _fail(provider, "auth", f"{provider.label} needs an API key. Add one in Settings.", status=status)
        return _fail(
            provider,
            "auth",
            f"{provider.label} did not accept the API key. Check it, or store a new one in Settings.",
            status=status,
        )
    if status == 403:
        return _fail(
            provider,
            "forbidden",
            f"{provider.label} refused access: this API key may not use the model {model}.",
            status=status,
        )
    if status == 413 or (status in (400, 422) and TOO_LARGE.search(detail)):
        size = f" even at {picture[0]} by {picture[1]} pixels" if picture else ""
        return _fail(
            provider,
            "too_large",
            f"The picture was too large for {provider.label}{size}. Try a smaller region of the screen.",
            status=status,
        )
    if status == 429:
        wait = retry_after_seconds(exc)
        if QUOTA.search(detail):
            return _fail(
                provider,
                "quota",
                f"Your {provider.label} account has no credit or quota left for this model.",
                status=status,
            )
        when = f"Try again in {say_seconds(wait)}." if wait is not None else "Try again in a moment."
        return _fail(
            provider,
            "rate_limited",
            f"{provider.label} is limiting requests right now. {when}",
            status=status,
            retry_after=wait,
        )
    if status == 404 or MODEL_MISSING.search(detail):
        if status == 404 and not re.search(r"model", detail, re.IGNORECASE):
            return _fail(
                provider,
                "not_found",
                f"{where} has no chat service at that address. Check the address in Settings; it usually ends in /v1.",
                status=status,
            )
        return model_missing(provider, model, status=status)
    if status >= 500:
        busy = status in (502, 503, 504)
        what = "is overloaded or restarting" if busy else "had an internal problem"
        return _fail(provider, "server", f"{where} {what} (error {status}). Try again in a moment.", status=status)
    return _fail(provider, "refused", f"{where} refused the request (error {status}).", status=status)


def _from_transport(
    exc: BaseException, detail: str, provider: Provider, model: str, partial: bool
) -> RemoteUnavailable:
    where = f"the picture server at {provider.host}"
    where_ = f"The picture server at {provider.host}"
    causes = list(_causes(exc))
    names = {type(c).__name__ for c in causes}
    if type(exc).__name__ == "APIError":  # the server sent an error event inside the stream
        if NO_VISION.search(detail):
            return no_vision(provider, model)
        return _fail(provider, "server", f"{where_} reported a problem while answering.")
    if partial and not any(isinstance(c, (TimeoutError, socket.timeout)) for c in causes):
        return _fail(provider, "stream_cut", f"The connection to {where} broke in the middle of the answer.")
    if NO_VISION.search(detail):
        return no_vision(provider, model)
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes) or "CERTIFICATE_VERIFY_FAILED" in detail:
        return _fail(
            provider,
            "tls",
            f"The secure connection to {provider.host} failed: its certificate could not be verified. "
            "Check the address, or the certificate installed on that server.",
        )
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return _fail(provider, "tls", f"The secure connection to {provider.host} failed.")
    if any(isinstance(c, socket.gaierror) for c in causes):
        return _fail(
            provider,
            "dns",
            f"The server name {provider.hostname} could not be found. Check the address in Settings "
            "and the network connection.",
        )
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return _fail(
            provider,
            "refused",
            f"Nothing is answering at {provider.host}. Is {provider.label} running?",
        )
    if "ConnectTimeout" in names or "PoolTimeout" in names:
        return _fail(provider, "timeout", f"{where_} did not answer in time.")
    if names & {"ReadTimeout", "WriteTimeout", "APITimeoutError"}:
        verb = "stopped sending" if partial else "took too long to answer"
        return _fail(provider, "timeout", f"{where_} {verb}.", partial=partial)
    if "RemoteProtocolError" in names or "ReadError" in names:
        return _fail(provider, "stream_cut", f"The connection to {where} broke before the answer.")
    return _fail(provider, "connection", f"Could not reach {where}.")


def no_vision(provider: Provider, model: str) -> RemoteUnavailable:
    return _fail(
        provider,
        "no_vision",
        f"The model {model} on {provider.label} does not accept pictures. Choose a vision model, "
        "for example qwen2.5vl or gemma3.",
    )


def model_missing(
    provider: Provider, model: str, available: list[str] | None = None, status: int | None = None
) -> RemoteUnavailable:
    names = [n for n in (available or []) if SAFE_NAME.fullmatch(n)][:5]
    hint = f" It has: {', '.join(names)}." if names else " Check the model name in Settings."
    return _fail(provider, "model_missing", f"{provider.label} has no model named {model}.{hint}", status=status)


SAFE_NAME = re.compile(r"[\w.:/@+-]{1,80}")


def server_text(exc: BaseException) -> str:
    """The server's error message, whatever shape its body had (unscrubbed: scrub before use)."""
    body = getattr(exc, "body", None)
    parts: list[str] = []
    _collect(body, parts)
    if not parts:
        parts.append(str(getattr(exc, "message", "") or exc))
    return " ".join(p for p in parts if p)[:2000]


def _collect(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, dict):
        for field in ("message", "error", "detail", "msg", "code", "type"):
            if field in value:
                _collect(value[field], parts)
    elif isinstance(value, list):
        for item in value[:5]:
            _collect(item, parts)


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), or retry-after-ms."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, round(when.timestamp() - time.time()))


def say_seconds(seconds: float) -> str:
    """ "1 second", "20 seconds", "1.5 seconds", "2 minutes" -- numbers as people say them."""
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    value = round(seconds, 1)
    text = f"{value:g}"
    return f"{text} second" if value == 1 else f"{text} seconds"


def _causes(exc: BaseException):
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
