"""Keys, consent and the source marker: the privacy rules of the remote backend.

The key test runs a whole session (key stored, settings and consent saved, an answer streamed,
a refused key that the server echoes back, errors logged with tracebacks at DEBUG level from every
library, history written, a connection test) and then reads every byte written under the home
folder and the log: the key must appear nowhere but in the (in-memory) keyring.
"""

from __future__ import annotations

import json
import logging
import secrets

import keyring
import pytest
import tomli_w
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError
from PIL import Image

from assistant.errors import BadInput, RemoteUnavailable
from assistant.history import HistoryStore
from assistant.remote import (
    ConsentStore,
    KeyringUnavailable,
    RemoteSettings,
    can_be_marked_local,
    check_consent,
    consent_question,
    delete_api_key,
    env_var_for,
    get_api_key,
    get_provider,
    host_scope,
    is_trusted_local,
    key_source,
    list_providers,
    needs_consent,
    set_api_key,
    source_marker,
)
from assistant.remote.check import test_connection as check_connection
from assistant.vision.remote import remote_backend
from tests.remote_server import Reply, ScriptedServer, models_reply

PICTURE = Image.new("RGB", (80, 60), "navy")


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in this process only (the stand-in for the OS keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def debug_log(home):
    """Everything every library logs, at DEBUG, into a file in the home folder."""
    path = home / "logs" / "screen-assistant.log"
    path.parent.mkdir(parents=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "assistant", "openai", "httpx2", "httpcore2")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    handler.close()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


# ---- the key never reaches the disk -------------------------------------------------------------
def test_the_api_key_never_reaches_the_disk(home, memory_keyring, debug_log, monkeypatch):
    key = "sk-proj-" + secrets.token_hex(24)
    answers = iter(["stream", "refuse"])

    def script(method, path, headers, body):
        if path.endswith("/models"):
            return models_reply("office-vlm")
        assert headers.get("authorization") == f"Bearer {key}", "the stored key is what the server gets"
        if next(answers) == "stream":
            return Reply(chunks=["A navy ", "rectangle."])
        return Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {key}."}})

    with ScriptedServer(script) as server:
        # The user configures a server; a careless settings file even carries the key: it is dropped.
        raw = {
            "provider": "office",
            "providers": {
                "office": {
                    "label": "Office",
                    "base_url": server.base_url,
                    "model": "office-vlm",
                    "key": "required",
                    "api_key": key,
                }
            },
        }
        settings = RemoteSettings.from_dict(raw)
        settings_file = home / "config" / "settings.toml"
        settings_file.parent.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(tomli_w.dumps({"remote": settings.to_dict()}), encoding="utf-8")
        set_api_key("office", key)
        assert memory_keyring.secrets == {("screen-assistant", "office"): key}

        backend = remote_backend(settings)
        ConsentStore().record(backend.provider, allowed=True)
        answer = "".join(backend.describe(PICTURE))
        with pytest.raises(RemoteUnavailable) as caught:
            list(backend.describe(PICTURE))
        error = caught.value
        logging.getLogger("assistant.engine").exception("describing failed", exc_info=error)
        logging.getLogger("assistant.engine").info("error shown: %s", error.message)
        history = HistoryStore()
        capture = history.add_capture(PICTURE, "file")
        history.add_entry(capture, "describe", answer)
        history.add_entry(capture, "error", error.message)
        history.close()
        report = check_connection(backend.provider)
        (home / "report.json").write_text(json.dumps(report.as_dict()))

    assert answer == "A navy rectangle."
    assert error.reason == "auth" and report.key == "keyring"
    for text in (error.message, str(error), repr(backend), repr(backend.client), repr(backend.provider)):
        assert key not in text and key[-8:] not in text
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert debug_log.stat().st_size > 0
    written = [p for p in home.rglob("*") if p.is_file()]
    assert {"settings.toml", "remote-consent.toml", "screen-assistant.log", "report.json"} <= {p.name for p in written}
    for path in written:
        data = path.read_bytes()
        assert key.encode() not in data, f"the key reached {path}"
        assert key[-8:].encode() not in data, f"the end of the key reached {path}"


# ---- no keyring --------------------------------------------------------------------------------
def test_without_a_keyring_storing_a_key_fails_with_a_plain_sentence(home, no_keyring):
    with pytest.raises(KeyringUnavailable) as caught:
        set_api_key("openai", "sk-something-secret")
    assert caught.value.message == (
        "There is no working system keyring on this computer, so the API key cannot be stored safely. "
        "Unlock or install one (GNOME Keyring, KWallet or KeePassXC), or set the environment variable "
        "SCREEN_ASSISTANT_API_KEY_OPENAI for this session, filled from your password manager."
    )
    assert "sk-something-secret" not in caught.value.message


def test_without_a_keyring_a_missing_key_names_the_environment_variable(home, no_keyring, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SCREEN_ASSISTANT_API_KEY_OPENAI", raising=False)
    with pytest.raises(RemoteUnavailable) as caught:
        remote_backend(RemoteSettings(provider="openai"))
    assert caught.value.reason == "no_key"
    assert caught.value.message == (
        "OpenAI needs an API key. Add it with the environment variable SCREEN_ASSISTANT_API_KEY_OPENAI "
        "(this computer has no keyring)."
    )


def test_the_session_variable_and_the_conventional_one_are_read(home, no_keyring, monkeypatch):
    openai = get_provider("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conventional")
    assert (get_api_key(openai), key_source(openai)) == ("sk-conventional", "environment")
    monkeypatch.setenv(env_var_for("openai"), "sk-session")
    assert get_api_key(openai) == "sk-session"  # the app's own variable wins
    assert env_var_for("llama.cpp") == "SCREEN_ASSISTANT_API_KEY_LLAMA_CPP"
    assert key_source(get_provider("ollama")) == "not needed"


def test_keyring_round_trip(home, memory_keyring, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai = get_provider("openai")
    assert key_source(openai) == "none"
    set_api_key("openai", "  sk-stored  ")
    assert (get_api_key(openai), key_source(openai)) == ("sk-stored", "keyring")
    assert delete_api_key("openai") is True
    assert delete_api_key("openai") is False
    assert get_api_key(openai) is None


# ---- consent ------------------------------------------------------------------------------------
def test_a_cloud_provider_asks_once_and_remembers(home):
    openai = get_provider("openai")
    store = ConsentStore()
    assert needs_consent(openai, store=store)
    assert consent_question(openai) == "Pictures you describe will be sent to api.openai.com. Continue?"
    store.record(openai, allowed=True)
    assert not needs_consent(openai, store=ConsentStore())  # a new store reads the same file
    check_consent(openai, store=store)  # no error
    store.record(openai, allowed=False)
    with pytest.raises(RemoteUnavailable) as caught:
        check_consent(openai, store=store)
    assert caught.value.reason == "consent"
    assert caught.value.message == (
        "You chose not to send pictures to api.openai.com. "
        "To use OpenAI, allow it in Settings, or choose a local model."
    )
    store.forget(openai)
    assert store.state(openai) == "unknown"


def test_consent_is_read_again_only_when_the_file_changed(home, monkeypatch):
    """The answer is checked before every request: one stat, not a read and a parse each time;
    yet an answer given in another process (another store on the same file) counts at once."""
    import assistant.remote.consent as consent_module

    openai = get_provider("openai")
    app, cli = ConsentStore(), ConsentStore()
    cli.record(openai, allowed=True)
    parses = []
    real_loads = consent_module.tomllib.loads
    monkeypatch.setattr(consent_module.tomllib, "loads", lambda text: (parses.append(1), real_loads(text))[1])
    for _ in range(5):
        check_consent(openai, store=app)
    assert len(parses) == 1
    cli.record(openai, allowed=False)  # the other process changes its mind
    with pytest.raises(RemoteUnavailable):
        check_consent(openai, store=app)
    consent_module.consent_path().write_text("", encoding="utf-8")  # emptied by hand
    assert app.state(openai) == "unknown"
    consent_module.consent_path().unlink()
    assert app.state(openai) == "unknown"
    cli.record(openai, allowed=True)
    check_consent(openai, store=app)


def test_a_local_server_counts_as_local_only_when_the_user_says_so(home):
    settings = RemoteSettings()
    ollama = get_provider("ollama", settings)
    assert needs_consent(ollama, settings), "even localhost asks until the user says it is local"
    settings.trusted_local = ["ollama"]
    assert not needs_consent(ollama, settings)
    # The user's word is not enough for an address on the internet.
    public = RemoteSettings(providers={"ollama": {"base_url": "http://8.8.8.8:11434/v1"}}, trusted_local=["ollama"])
    assert needs_consent(get_provider("ollama", public), public)
    assert not can_be_marked_local(get_provider("ollama", public))
    assert can_be_marked_local(ollama)


def test_consent_is_per_server_address(home):
    store = ConsentStore()
    first = get_provider("vllm", RemoteSettings(providers={"vllm": {"base_url": "http://10.0.0.5:8000/v1"}}))
    moved = get_provider("vllm", RemoteSettings(providers={"vllm": {"base_url": "http://10.0.0.5:9000/v1"}}))
    store.record(first, allowed=True)
    assert not needs_consent(first, store=store)
    assert needs_consent(moved, store=store), "a new address is a new question"


@pytest.mark.parametrize(
    "host, scope",
    [
        ("localhost", "loopback"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("192.168.1.20", "private"),
        ("10.1.2.3", "private"),
        ("100.101.102.103", "private"),  # carrier-grade NAT range (Tailscale)
        ("fe80::1", "private"),
        ("gpu-box", "private"),
        ("nas.local", "private"),
        ("8.8.8.8", "public"),
        ("api.openai.com", "public"),
    ],
)
def test_host_scope(host, scope):
    def resolver(name):
        return {"api.openai.com": ["162.159.140.245"]}[name]

    assert host_scope(host, resolver) == scope


def test_host_scope_of_names_follows_their_addresses():
    assert host_scope("gpu.office.example", lambda name: ["192.168.5.9"]) == "private"
    assert host_scope("gpu.office.example", lambda name: ["192.168.5.9", "93.184.216.34"]) == "public"

    def unresolvable(name):
        raise OSError("no such name")

    assert host_scope("gpu.office.example", unresolvable) == "public"


# ---- marker ------------------------------------------------------------------------------------
def test_source_marker():
    assert source_marker(get_provider("openai")) == "(from OpenAI)"
    assert source_marker(get_provider("gemini")) == "(from Google Gemini)"
    assert source_marker(get_provider("openai"), RemoteSettings(show_source=False)) == ""
    custom = RemoteSettings(providers={"custom": {"base_url": "https://vision.example.org/v1"}})
    assert source_marker(get_provider("custom", custom)) == "(from vision.example.org)"


# ---- settings and presets ----------------------------------------------------------------------
def test_presets_cover_the_issue():
    names = [p.name for p in list_providers()]
    assert names == ["ollama", "llama.cpp", "vllm", "lmstudio", "openai", "gemini", "custom"]
    ollama = get_provider("ollama")
    assert (ollama.base_url, ollama.models_api, ollama.key, ollama.root_url) == (
        "http://localhost:11434/v1",
        "ollama",
        "none",
        "http://localhost:11434",
    )
    assert get_provider("openai").tokens_field == "max_completion_tokens"
    assert [p.name for p in list_providers() if p.local] == ["ollama", "llama.cpp", "vllm", "lmstudio"]


def test_overrides_and_own_servers():
    settings = RemoteSettings(
        provider="vllm",
        model="Qwen/Qwen2.5-VL-3B-Instruct",
        providers={"vllm": {"base_url": "http://gpu.lan:8000/v1"}, "office": {"base_url": "http://10.0.0.9:8080/v1"}},
    )
    vllm = get_provider(None, settings)
    assert (vllm.base_url, vllm.model) == ("http://gpu.lan:8000/v1", "Qwen/Qwen2.5-VL-3B-Instruct")
    assert get_provider("vllm", settings, model="other").model == "other"
    assert get_provider("openai", settings).model == "gpt-4.1-mini", "the settings' model is for its own provider"
    office = get_provider("office", settings)
    assert (office.label, office.host) == ("office", "10.0.0.9:8080")
    with pytest.raises(BadInput) as caught:
        get_provider("nope", settings)
    assert caught.value.message.startswith("There is no picture server named 'nope'. Choose one of: custom, gemini,")


@pytest.mark.parametrize(
    "url, message",
    [
        ("", "Custom server has no server address yet. Set its address in Settings."),
        (
            "ftp://x/v1",
            "The address of Custom server must start with http:// or https:// and name a server, "
            "for example http://localhost:11434/v1.",
        ),
        (
            "http://me:secret@host/v1",
            "The address of Custom server contains a user name or password. Remove it and store the API key "
            "in the keyring instead.",
        ),
    ],
)
def test_bad_addresses_are_plain_sentences(url, message):
    provider = get_provider("custom", RemoteSettings(providers={"custom": {"base_url": url}}))
    with pytest.raises(BadInput) as caught:
        provider.validate()
    assert caught.value.message == message


def test_settings_round_trip_without_secrets():
    raw = {"provider": "vllm", "show_source": False, "providers": {"vllm": {"token": "x", "model": "m"}}, "junk": 1}
    settings = RemoteSettings.from_dict(raw)
    assert settings.provider == "vllm" and settings.show_source is False
    assert settings.providers == {"vllm": {"model": "m"}}
    assert RemoteSettings.from_dict(settings.to_dict()) == settings


def test_fallback_rule():
    from assistant.errors import Cancelled
    from assistant.remote.fallback import fallback_notice, should_fall_back

    down = RemoteUnavailable("Nothing is answering at localhost:11434. Is Ollama running?", reason="refused")
    cut = RemoteUnavailable("The connection broke in the middle of the answer.", reason="stream_cut", partial=True)
    allowed, not_allowed = RemoteSettings(fallback_to_local=True), RemoteSettings()
    assert should_fall_back(down, allowed, answered=False)
    assert not should_fall_back(down, not_allowed, answered=False), "only when the user allowed it"
    assert not should_fall_back(down, allowed, answered=True)
    assert not should_fall_back(cut, allowed, answered=False)
    assert not should_fall_back(Cancelled("Stopped."), allowed, answered=False)
    assert fallback_notice(down) == (
        "Nothing is answering at localhost:11434. Is Ollama running? Answering with the local model instead."
    )


def test_settings_of_the_wrong_type_are_ignored_not_misread():
    settings = RemoteSettings.from_dict({"trusted_local": "ollama", "show_source": "no", "connect_timeout": 3})
    assert settings.trusted_local == ["ollama"], "a single name is a list of one, never a substring test"
    assert settings.show_source is True
    assert settings.connect_timeout == 3
    assert not is_trusted_local(get_provider("llama.cpp"), settings)
