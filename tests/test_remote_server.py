"""The remote backend against a REAL OpenAI-compatible server: `transformers serve` on 127.0.0.1,
serving the tiny random SmolVLM built here (no mock of the protocol, nothing leaves this machine).

One server for the whole module (it takes a few seconds to start); tests that kill a server start
their own.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageDraw

from assistant.errors import Cancelled, RemoteUnavailable
from assistant.remote import ConsentStore, RemoteSettings, get_provider
from assistant.remote import client as client_module
from assistant.remote.check import test_connection as check_connection
from assistant.vision.remote import RemoteVisionBackend, remote_backend
from tests.remote_server import TransformersServer
from tests.tiny_llm import build_tiny_llm
from tests.tiny_vlm import build_tiny_smolvlm

pytestmark = pytest.mark.timeout(300)
HANG_GUARD = 60  # seconds; only ever reached if something hangs


@pytest.fixture(scope="session")
def vlm_dir(tmp_path_factory):
    return build_tiny_smolvlm(tmp_path_factory.mktemp("remote-vlm"))


@pytest.fixture(scope="module")
def server(vlm_dir, tmp_path_factory):
    srv = TransformersServer(vlm_dir, tmp_path_factory.mktemp("serve-logs")).start()
    yield srv
    srv.stop()


def settings_for(base_url: str, **extra) -> RemoteSettings:
    """A user-defined provider "test" at base_url, marked local by the user (loopback)."""
    return RemoteSettings(
        provider="test",
        providers={"test": {"label": "Test server", "base_url": base_url, **extra}},
        trusted_local=["test"],
    )


@pytest.fixture
def backend(server, home):
    settings = settings_for(server.base_url, model=server.model_dir)
    return remote_backend(settings)


@pytest.fixture(scope="module")
def eos_id(vlm_dir):
    return json.loads((vlm_dir / "generation_config.json").read_text())["eos_token_id"]


def long_answers(backend: RemoteVisionBackend, eos_id: int, tokens: int = 1500) -> RemoteVisionBackend:
    """Make the random model talk for `tokens` tokens: the end-of-answer token is banned through
    the standard logit_bias request field, and the answer length raised."""
    backend.client.provider = dataclasses.replace(backend.provider, extra_body={"logit_bias": {str(eos_id): -100.0}})
    backend.settings = dataclasses.replace(backend.settings, quick_tokens=tokens)
    return backend


def picture(colour: str = "red", size=(320, 200)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 160, 120), fill=colour)
    draw.text((30, 150), colour.upper(), fill="black")
    return image


# ---- streaming ------------------------------------------------------------------------------------
def test_describe_streams_several_chunks_from_the_real_server(backend):
    chunks = list(backend.describe(picture()))
    assert len(chunks) > 1, "the answer arrives in pieces, not in one block"
    assert "".join(chunks).strip()
    assert backend.name == "remote" and backend.model == backend.provider.model
    assert backend.marker == "(from Test server)"


def test_first_listed_model_is_used_when_none_is_configured(server, home):
    backend = remote_backend(settings_for(server.base_url))  # model ""
    assert "".join(backend.describe(picture())).strip()
    assert backend.model == server.model_dir


def test_follow_up_keeps_the_conversation_and_sends_the_same_picture_bytes(backend):
    image = picture("blue")
    first = "".join(backend.describe(image))
    sent_first = backend.last_picture
    with_history = "".join(backend.ask(image, "what colour is the box?", history=[(backend_prompt(), first)]))
    without = "".join(backend.ask(image, "what colour is the box?"))
    assert with_history.strip() and without.strip()
    assert with_history != without, "the earlier turn must reach the model"
    assert backend.last_picture is sent_first  # encoded once, identical bytes: server prefix caches can hit
    assert backend.stats == {"encodes": 1, "encode_hits": 2}


def backend_prompt() -> str:
    from assistant.vision.hub_vlm import DESCRIBE_PROMPTS

    return DESCRIBE_PROMPTS["quick"]


# ---- cancel and failures mid-answer ---------------------------------------------------------------
def test_cancel_mid_stream_stops_at_once_and_hangs_up(backend, eos_id, monkeypatch):
    long_answers(backend, eos_id)
    hung_up = []
    real_hang_up = client_module._hang_up
    monkeypatch.setattr(client_module, "_hang_up", lambda stream: (hung_up.append(stream), real_hang_up(stream)))
    cancel = threading.Event()
    received = []
    with pytest.raises(Cancelled):
        for chunk in backend.describe(picture(), cancel=cancel):
            received.append(chunk)
            if len(received) == 3:
                cancel.set()
    assert len(received) == 3, "nothing more is yielded after Cancel"
    assert len(hung_up) == 1, "the socket is shut down so the server sees the disconnect"
    assert _reader_threads_end(), "the reading thread ends instead of draining the answer"
    # The server is still fine for the next request.
    backend.settings = dataclasses.replace(backend.settings, quick_tokens=20)
    assert "".join(backend.describe(picture("green"))).strip()


def test_an_answer_left_unread_is_hung_up(backend, eos_id, monkeypatch):
    """The caller reads the answer itself; when it stops reading (a newer request, an error in
    what it does with a piece), the server is told at once instead of generating on."""
    long_answers(backend, eos_id)
    hung_up = []
    real_hang_up = client_module._hang_up
    monkeypatch.setattr(client_module, "_hang_up", lambda stream: (hung_up.append(stream), real_hang_up(stream)))
    answer = backend.describe(picture(), cancel=threading.Event())
    assert next(answer) and next(answer)
    answer.close()
    assert len(hung_up) == 1
    assert _reader_threads_end()
    backend.settings = dataclasses.replace(backend.settings, quick_tokens=20)
    assert "".join(backend.describe(picture("green"))).strip()  # the server is fine


def test_cancel_before_the_first_chunk_raises_cancelled(backend):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        list(backend.describe(picture(), cancel=cancel))


def _reader_threads_end() -> bool:
    for thread in threading.enumerate():
        if thread.name == "remote-stream":
            thread.join(HANG_GUARD)
            if thread.is_alive():
                return False
    return True


def test_server_killed_mid_answer_is_a_plain_stream_cut(vlm_dir, eos_id, tmp_path, home):
    doomed = TransformersServer(vlm_dir, tmp_path).start()
    try:
        backend = long_answers(remote_backend(settings_for(doomed.base_url, model=doomed.model_dir)), eos_id)
        received = []
        with pytest.raises(RemoteUnavailable) as caught:
            for chunk in backend.describe(picture()):
                received.append(chunk)
                if len(received) == 2:
                    doomed.kill()
    finally:
        doomed.stop()
    error = caught.value
    assert error.reason == "stream_cut" and error.partial
    assert (
        error.message
        == f"The connection to the picture server at 127.0.0.1:{doomed.port} broke in the middle of the answer."
    )
    assert error.fallback_ok


def test_nothing_listening_is_a_plain_sentence(vlm_dir, tmp_path, home):
    doomed = TransformersServer(vlm_dir, tmp_path)  # never started: nothing on that port
    backend = remote_backend(settings_for(doomed.base_url, model="m"))
    with pytest.raises(RemoteUnavailable) as caught:
        list(backend.describe(picture()))
    assert caught.value.reason == "refused"
    assert caught.value.message == f"Nothing is answering at 127.0.0.1:{doomed.port}. Is Test server running?"


# ---- wrong model, concurrency --------------------------------------------------------------------
def test_wrong_model_name_says_which_models_the_server_has(server, home):
    backend = remote_backend(settings_for(server.base_url, model="no-such-model"))
    with pytest.raises(RemoteUnavailable) as caught:
        list(backend.describe(picture()))
    error = caught.value
    assert error.reason == "model_missing"
    assert error.message == f"Test server has no model named no-such-model. It has: {server.model_dir}."


def test_eight_concurrent_requests_are_all_answered_and_none_mixed_up(backend):
    colours = ["red", "green", "blue", "yellow", "black", "grey", "white", "red"]
    questions = [
        f"what is in the {where} of the {thing}?"
        for where, thing in zip(
            ["top", "bottom", "left", "right", "middle", "top", "bottom", "left"],
            ["picture", "screen", "window", "dialog", "page", "menu", "table", "chart"],
            strict=True,
        )
    ]
    jobs = list(zip(colours, questions, strict=True))
    backend.settings = dataclasses.replace(backend.settings, ask_tokens=40)  # short answers: a fast test
    expected = ["".join(backend.ask(picture(c), q)) for c, q in jobs]  # one at a time
    assert len(set(expected)) >= 4, "the requests must differ for a mix-up to show"
    start = threading.Barrier(len(jobs))

    def ask(job):
        colour, question = job
        start.wait(HANG_GUARD)
        return "".join(backend.ask(picture(colour), question))

    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(ask, jobs, timeout=HANG_GUARD * 4))
    assert answers == expected


# ---- consent is enforced by the backend itself ---------------------------------------------------
def test_no_picture_leaves_without_consent_for_an_untrusted_server(server, home):
    settings = settings_for(server.base_url, model=server.model_dir)
    settings.trusted_local = []  # the user has not said this server is local
    store = ConsentStore()
    backend = remote_backend(settings, consent=store)
    with pytest.raises(RemoteUnavailable) as caught:
        list(backend.describe(picture()))
    assert caught.value.reason == "consent"
    assert backend.stats["encodes"] == 0, "refused before the picture was even encoded"
    store.record(backend.provider, allowed=True)
    assert "".join(backend.describe(picture())).strip()


# ---- test_connection ------------------------------------------------------------------------------
def test_connection_report_lists_models_and_confirms_pictures(server, home):
    provider = get_provider("test", settings_for(server.base_url, model=server.model_dir))
    report = check_connection(provider)
    assert report.ok and report.error == ""
    assert report.models == [server.model_dir] and report.model_listed
    assert report.vision is True and report.vision_how == "picture counted"
    assert report.list_ms is not None and report.probe_ms is not None
    assert f"The model {server.model_dir} accepts pictures." in report.sentences()


def test_connection_report_for_a_missing_model(server, home):
    report = check_connection(get_provider("test", settings_for(server.base_url, model="nope")))
    assert not report.ok and report.model_listed is False
    assert "The model nope is not among them." in report.sentences()


def test_connection_catches_a_text_only_model_that_silently_drops_pictures(tmp_path, home):
    # transformers serve, like some other servers, quietly removes pictures a text model cannot
    # read: the answer would be invented. Equal prompt token counts with and without the picture
    # give it away.
    llm_server = TransformersServer(build_tiny_llm(tmp_path / "llm"), tmp_path).start()
    try:
        report = check_connection(get_provider("test", settings_for(llm_server.base_url, model=llm_server.model_dir)))
    finally:
        llm_server.stop()
    assert report.vision is False and report.vision_how == "ignored"
    assert f"The model {llm_server.model_dir} does not accept pictures." in report.sentences()


def test_connection_to_nothing_reports_a_sentence_instead_of_raising(vlm_dir, tmp_path, home):
    nowhere = TransformersServer(vlm_dir, tmp_path)
    report = check_connection(get_provider("test", settings_for(nowhere.base_url)))
    assert not report.ok and report.error_reason == "refused"
    assert report.sentences() == [f"Nothing is answering at 127.0.0.1:{nowhere.port}. Is Test server running?"]


# ---- end to end: the CLI and the controller (the GUI's engine of record) --------------------------
def _settings_file(home, server, trusted: bool = True):
    from assistant.config import Settings

    settings = Settings()
    settings.models.backend = "remote"
    settings.remote = settings_for(server.base_url, model=server.model_dir)
    if not trusted:
        settings.remote.trusted_local = []
    settings.save()
    return settings


def test_cli_describe_and_ask_through_the_real_server(server, home, tmp_path, capsys):
    from assistant.cli import main as cli_main

    _settings_file(home, server)
    path = tmp_path / "red.png"
    picture().save(path)
    assert cli_main(["describe", str(path), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["backend"] == "remote" and described["text"]
    assert described["text"].endswith("(from Test server)")  # where the answer came from
    assert cli_main(["ask", str(path), "what colour is it?", "--provider", "test", "--json"]) == 0
    answered = json.loads(capsys.readouterr().out)
    assert answered["backend"] == "remote" and answered["slots"]["question"] == "what colour is it?"


def test_cli_asks_consent_first_and_sends_nothing_without_a_terminal(server, home, tmp_path, capsys):
    from assistant.cli import main as cli_main

    _settings_file(home, server, trusted=False)
    path = tmp_path / "red.png"
    picture().save(path)
    assert cli_main(["describe", str(path)]) == 3
    said = capsys.readouterr().err
    assert f"Pictures you describe will be sent to {get_provider('test', settings_for(server.base_url)).host}" in said
    assert "Nothing was sent" in said


def test_controller_describe_follow_up_and_consent_through_the_real_server(server, home):
    from assistant.controller import ConsentNeeded, Controller, Finished
    from assistant.events import Result

    settings = _settings_file(home, server, trusted=False)
    controller = Controller(settings)
    events: list = []
    done = threading.Event()

    def listen(event):
        events.append(event)
        if isinstance(event, Finished):
            done.set()

    controller.add_listener(listen)
    controller.submit("describe", image=picture("blue"), source="screen")
    assert done.wait(HANG_GUARD)
    done.clear()
    asked = [e for e in events if isinstance(e, ConsentNeeded)]
    assert asked and "Continue?" in asked[0].question and not any(isinstance(e, Result) for e in events)
    controller.answer_consent(asked[0].provider, True, asked[0].request)  # the user says yes
    assert done.wait(HANG_GUARD)
    done.clear()
    described = [e for e in events if isinstance(e, Result)][-1]
    assert described.intent == "describe" and described.backend == "remote"
    controller.submit("ask", text="and the text?")
    assert done.wait(HANG_GUARD)
    answer = [e for e in events if isinstance(e, Result)][-1]
    assert answer.intent == "ask" and answer.text
    assert ConsentStore().state(get_provider("test", settings.remote)) == "allowed"
    controller.close()


def test_gui_asks_consent_then_describes_and_follows_up_through_the_real_server(server, home, qtbot, monkeypatch):
    """The desktop app: the consent question is a Yes/No dialog; after yes, the answer arrives
    with its source marker and a follow-up works."""
    from PySide6.QtWidgets import QMessageBox

    from assistant.controller import Controller
    from ui.main_window import MainWindow

    settings = _settings_file(home, server, trusted=False)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    controller = Controller(settings)
    window = MainWindow(controller)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.job_done, timeout=HANG_GUARD * 1000) as first:
        controller.submit("describe", image=picture("green"), source="screen")
    assert first.args[0] == "error:unavailable"  # nothing was sent before the user agreed
    with qtbot.waitSignal(window.job_done, timeout=HANG_GUARD * 1000) as described:
        qtbot.waitUntil(lambda: bool(asked), timeout=HANG_GUARD * 1000)
    assert "Continue?" in asked[0] and described.args[0] == "result:describe"
    assert "(from Test server)" in window.transcript.toPlainText()
    window.question.setText("what colour is it?")
    with qtbot.waitSignal(window.job_done, timeout=HANG_GUARD * 1000) as followed:
        window.trigger("ask")
    assert followed.args[0] == "result:ask"
    controller.close()
