"""Every failure a remote server can cause is one plain sentence (RemoteUnavailable with a reason).

The paths a real `transformers serve` cannot produce (401, 403, 413, 429 with Retry-After, 5xx,
errors worded as Ollama / llama.cpp / LM Studio / OpenAI word them, a TLS failure, a cut stream)
use a minimal HTTP handler on 127.0.0.1 (tests/remote_server.py). DNS failure is simulated by the
resolver answering "no such name", so no query leaves this machine.
"""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from PIL import Image

from assistant.errors import Blocked, Cancelled, RemoteUnavailable
from assistant.remote import ConsentStore, RemoteSettings, get_provider
from assistant.remote.check import test_connection as check_connection
from assistant.remote.failures import say_seconds
from assistant.vision.remote import remote_backend
from tests.remote_server import Reply, ScriptedServer, models_reply

pytestmark = pytest.mark.timeout(120)
PICTURE = Image.new("RGB", (64, 48), "red")
MODEL = "vision-model"


def backend_for(base_url: str, read_timeout: float = 0.0, **extra):
    settings = RemoteSettings(
        provider="test",
        providers={"test": {"label": "Test server", "base_url": base_url, "model": MODEL, **extra}},
        trusted_local=["test"],
        read_timeout=read_timeout,
    )
    return remote_backend(settings)


def failure(reply: Reply, *, models: tuple[str, ...] = (MODEL,), **extra) -> RemoteUnavailable:
    """Describe a picture against a server that answers the chat request with `reply`."""

    def script(method, path, headers, body):
        return models_reply(*models) if path.endswith("/models") else reply

    with ScriptedServer(script) as server:
        backend = backend_for(server.base_url, **extra)
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend.describe(PICTURE))
    assert "Error" not in caught.value.message and "Exception" not in caught.value.message
    return caught.value


def test_a_scripted_answer_streams(home):
    with ScriptedServer(lambda *a: Reply(chunks=["A red ", "square."])) as server:
        assert list(backend_for(server.base_url).describe(PICTURE)) == ["A red ", "square."]
        sent = server.requests[-1]["body"]
    assert sent["stream"] is True and sent["model"] == MODEL and sent["max_tokens"] == 300
    first = sent["messages"][0]["content"]
    assert first[0]["type"] == "image_url" and first[0]["image_url"]["url"].startswith("data:image/")


@pytest.mark.parametrize(
    "status, body, reason, message",
    [
        (
            401,
            {"error": {"message": "Incorrect API key provided"}},
            "auth",
            "Test server needs an API key. Add one in Settings.",
        ),
        (
            403,
            {"error": {"message": "forbidden"}},
            "forbidden",
            f"Test server refused access: this API key may not use the model {MODEL}.",
        ),
        (
            413,
            "Request Entity Too Large",
            "too_large",
            "The picture was too large for Test server even at 64 by 48 pixels. Try a smaller region of the screen.",
        ),
        (
            404,
            {"error": {"message": f"model '{MODEL}' not found, try pulling it first"}},
            "model_missing",
            f"Test server has no model named {MODEL}. It has: other-model.",
        ),
        (
            404,
            {"detail": "Not Found"},
            "not_found",
            "The picture server at 127.0.0.1:{port} has no chat service at that address. Check the address in "
            "Settings; it usually ends in /v1.",
        ),
        (
            500,
            {"error": "boom"},
            "server",
            "The picture server at 127.0.0.1:{port} had an internal problem (error 500). Try again in a moment.",
        ),
        (
            503,
            {"error": "loading"},
            "server",
            "The picture server at 127.0.0.1:{port} is overloaded or restarting (error 503). Try again in a moment.",
        ),
    ],
)
def test_http_errors_are_plain_sentences(home, status, body, reason, message):
    models = ("other-model",) if reason == "model_missing" else (MODEL,)
    captured = {}

    def script(method, path, headers, sent):
        if path.endswith("/models"):
            return models_reply(*models)
        return Reply(status=status, body=body)

    with ScriptedServer(script) as server:
        captured["port"] = server.base_url.split(":")[2].split("/")[0]
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend_for(server.base_url).describe(PICTURE))
    error = caught.value
    assert (error.reason, error.status) == (reason, status)
    assert error.message == message.format(port=captured["port"])
    assert error.fallback_ok and not error.partial


def test_401_with_a_key_says_the_key_was_refused(home, monkeypatch):
    monkeypatch.setenv("SCREEN_ASSISTANT_API_KEY_TEST", "sk-test-0123456789abcdef")
    error = failure(
        Reply(status=401, body={"error": {"message": "Incorrect API key provided: sk-test-0123456789abcdef"}})
    )
    assert error.reason == "auth"
    assert error.message == "Test server did not accept the API key. Check it, or store a new one in Settings."
    assert "0123456789abcdef" not in error.message


def test_429_says_when_to_try_again(home):
    error = failure(Reply(status=429, headers={"Retry-After": "20"}, body={"error": {"message": "Rate limit reached"}}))
    assert (error.reason, error.retry_after) == ("rate_limited", 20.0)
    assert error.message == "Test server is limiting requests right now. Try again in 20 seconds."


def test_429_without_credit_says_so(home):
    error = failure(
        Reply(status=429, body={"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}})
    )
    assert error.reason == "quota"
    assert error.message == "Your Test server account has no credit or quota left for this model."


@pytest.mark.parametrize(
    "status, body",
    [
        (500, {"error": "this model is missing data required for image input"}),  # Ollama
        (
            500,
            {
                "error": {
                    "message": "image input is not supported - hint: if this is unexpected, "
                    "you may need to provide the mmproj"
                }
            },
        ),  # llama.cpp
        (400, {"error": "Model does not support images. Please use a model that does."}),  # LM Studio
        (400, {"error": {"message": "Invalid content type. image_url is only supported by certain models."}}),  # OpenAI
        (400, {"object": "error", "message": "Qwen2.5-7B-Instruct is not a multimodal model"}),  # vLLM
        (404, {"error": {"message": "No endpoints found that support image input"}}),  # routers
    ],
)
def test_a_model_without_vision_is_recognised_from_the_error(home, status, body):
    error = failure(Reply(status=status, body=body))
    assert error.reason == "no_vision"
    assert error.message == (
        f"The model {MODEL} on Test server does not accept pictures. "
        "Choose a vision model, for example qwen2.5vl or gemma3."
    )


def test_stream_cut_without_an_end_is_not_taken_for_a_whole_answer(home):
    def script(method, path, headers, body):
        return Reply(chunks=["The window shows", " a form with"], finish=None)  # then the connection closes

    with ScriptedServer(script) as server:
        received = []
        with pytest.raises(RemoteUnavailable) as caught:
            for chunk in backend_for(server.base_url).describe(PICTURE):
                received.append(chunk)
    assert received == ["The window shows", " a form with"]
    assert caught.value.reason == "stream_cut" and caught.value.partial


def test_empty_answer_is_reported_not_silent(home):
    error = failure(Reply(chunks=[], finish="length"))
    assert error.reason == "empty"
    assert (
        error.message
        == f"The model {MODEL} on Test server sent an empty answer (it used its whole length before answering)."
    )


def test_the_providers_content_filter_is_a_blocked_answer(home):
    with ScriptedServer(lambda *a: Reply(chunks=["Part"], finish="content_filter")) as server:
        with pytest.raises(Blocked) as caught:
            list(backend_for(server.base_url).describe(PICTURE))
    assert caught.value.message == "Test server withheld the answer (its own content filter)."


def test_read_timeout_is_a_plain_sentence(home):
    with ScriptedServer(lambda *a: Reply(chunks=["late"], delay=3.0)) as server:
        backend = backend_for(server.base_url, read_timeout=0.5)  # the server goes quiet for longer
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend.describe(PICTURE))
    assert caught.value.reason == "timeout"
    assert caught.value.message.endswith("took too long to answer.")


def test_cancel_while_the_server_is_silent_returns_at_once(home):
    cancel = threading.Event()
    with ScriptedServer(lambda *a: Reply(chunks=["late"], delay=30.0)) as server:
        timer = threading.Timer(0.3, cancel.set)
        timer.start()
        with pytest.raises(Cancelled):
            list(backend_for(server.base_url).describe(PICTURE, cancel=cancel))
        timer.join()


def test_tls_certificate_failure(home):
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()  # a throwaway authority nobody trusts
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with ScriptedServer(lambda *a: Reply(chunks=["never"]), tls=context) as server:
        assert server.base_url.startswith("https://")
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend_for(server.base_url).describe(PICTURE))
    assert caught.value.reason == "tls"
    assert caught.value.message.startswith("The secure connection to 127.0.0.1:")
    assert "certificate could not be verified" in caught.value.message


def test_unknown_host_name(home, monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if host == "picture-server.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    backend = backend_for("http://picture-server.example/v1")
    ConsentStore().record(backend.provider, allowed=True)  # a name that cannot be resolved is not local
    with pytest.raises(RemoteUnavailable) as caught:
        list(backend.describe(PICTURE))
    assert caught.value.reason == "dns"
    assert caught.value.message == (
        "The server name picture-server.example could not be found. "
        "Check the address in Settings and the network connection."
    )


def test_consent_is_checked_before_resolving_or_connecting(home, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("the network was touched"))
    settings = RemoteSettings(
        provider="cloud", providers={"cloud": {"label": "Cloud", "base_url": "https://203.0.113.9/v1", "model": "m"}}
    )
    with pytest.raises(RemoteUnavailable) as caught:
        list(remote_backend(settings).describe(PICTURE))
    assert caught.value.reason == "consent"
    assert caught.value.message == "Pictures would be sent to 203.0.113.9, and you have not agreed to that yet."


def test_the_environment_openai_key_never_goes_to_another_server(home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-should-stay-home-1234")
    with ScriptedServer(lambda *a: Reply(chunks=["ok"])) as server:
        list(backend_for(server.base_url).describe(PICTURE))
        auth = server.requests[-1]["headers"].get("authorization", "")
    assert auth == "Bearer no-key", "a server without a stored key gets no key at all"


@pytest.mark.parametrize(
    "seconds, said",
    [(1, "1 second"), (20, "20 seconds"), (1.5, "1.5 seconds"), (600.1, "600.1 seconds"), (120, "2 minutes")],
)
def test_seconds_are_said_correctly(seconds, said):
    assert say_seconds(seconds) == said


# ---- Ollama's native model list ----------------------------------------------------------------
def ollama_script(method, path, headers, body):
    """What Ollama answers on its native API (/api/tags, /api/show) and its OpenAI endpoint."""
    if path == "/api/tags":
        return Reply(body={"models": [{"name": "qwen2.5vl:7b"}, {"name": "llama3.2:3b"}]})
    if path == "/api/show":
        vision = body.get("model") == "qwen2.5vl:7b"
        return Reply(body={"capabilities": ["completion", "vision"] if vision else ["completion"]})
    if path == "/v1/chat/completions" and not body.get("stream"):
        message = {"role": "assistant", "content": "OK"}
        usage = {"prompt_tokens": 90, "completion_tokens": 1, "total_tokens": 91}
        choice = {"index": 0, "message": message, "finish_reason": "length"}
        return Reply(
            body={
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [choice],
                "usage": usage,
            }
        )
    return Reply(status=404, body={"error": "not found"})


@pytest.mark.parametrize("model, vision", [("qwen2.5vl:7b", True), ("llama3.2:3b", False)])
def test_ollama_models_and_their_vision_come_from_its_native_api(home, model, vision):
    with ScriptedServer(ollama_script) as server:
        settings = RemoteSettings(providers={"ollama": {"base_url": server.base_url, "model": model}})
        report = check_connection(get_provider("ollama", settings))
        paths = [r["path"] for r in server.requests]
    assert report.models == ["qwen2.5vl:7b", "llama3.2:3b"]
    assert report.vision is vision and report.vision_how == "server says"
    assert paths[:2] == ["/api/tags", "/api/show"]
    assert ("/v1/chat/completions" in paths) is vision, "a model that cannot see is not sent the test picture"


def test_a_picture_too_large_for_the_server_is_sent_once_more_at_half_the_size(home):
    sizes = []

    def script(method, path, headers, body):
        url = body["messages"][0]["content"][0]["image_url"]["url"]
        sizes.append(len(url))
        return Reply(status=413, body="Request Entity Too Large") if len(sizes) == 1 else Reply(chunks=["Fits."])

    big = Image.new("RGB", (1600, 1000), "white")
    with ScriptedServer(script) as server:
        backend = backend_for(server.base_url)
        assert list(backend.describe(big)) == ["Fits."]
        assert backend.last_picture.size == (768, 480)
        assert list(backend.ask(big, "and now?")) == ["Fits."]  # the smaller size is remembered
    assert len(sizes) == 3 and sizes[1] < sizes[0] and sizes[2] == sizes[1]


def test_connect_timeout_is_a_plain_sentence():
    # A server that never completes the TCP handshake cannot be staged on 127.0.0.1, so the
    # exception chain the openai client raises for it is built here and explained.
    import httpx2
    import openai

    from assistant.remote import get_provider as provider_named
    from assistant.remote.failures import explain

    request = httpx2.Request("POST", "http://gpu.lan:8000/v1/chat/completions")
    try:
        try:
            raise httpx2.ConnectTimeout("timed out", request=request)
        except httpx2.ConnectTimeout as cause:
            raise openai.APITimeoutError(request=request) from cause
    except openai.APITimeoutError as exc:
        error = explain(
            exc,
            provider_named("vllm", RemoteSettings(providers={"vllm": {"base_url": "http://gpu.lan:8000/v1"}})),
            model="m",
        )
    assert error.reason == "timeout"
    assert error.message == "The picture server at gpu.lan:8000 did not answer in time."


def test_an_error_inside_the_stream_is_the_servers_problem_not_a_cut(home):
    with ScriptedServer(lambda *a: Reply(chunks=["The screen"], error_event="CUDA out of memory")) as server:
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend_for(server.base_url).describe(PICTURE))
    assert (caught.value.reason, caught.value.partial) == ("server", True)
    assert caught.value.message.endswith("reported a problem while answering.")
    assert "CUDA" not in caught.value.message, "the server's own words are never spoken"


def test_an_ollama_model_without_a_tag_means_latest(home):
    with ScriptedServer(ollama_script) as server:
        settings = RemoteSettings(providers={"ollama": {"base_url": server.base_url, "model": "qwen2.5vl"}})
        body = ollama_script("GET", "/api/tags", {}, {}).body
        body["models"][0]["name"] = "qwen2.5vl:latest"
        server.script = lambda m, p, h, b: Reply(body=body) if p == "/api/tags" else ollama_script(m, p, h, b)
        report = check_connection(get_provider("ollama", settings), probe=False)
    assert report.model_listed is True
