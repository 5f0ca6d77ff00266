"""The app's own voice on Windows (SAPI5) and macOS (NSSpeechSynthesizer) without stalls: the real
pyttsx3 drivers and our renderers run against fakes of the COM / Cocoa objects (fake_platforms).

Before the fix, every sentence waited RENDER_TIMEOUT (30 s) for a finished-utterance notice that
pyttsx3's SAPI5 driver never sends for a file; each test here has a 10 s hang guard."""

from __future__ import annotations

import time

import pytest

from assistant.speech import platform_voices
from assistant.speech.tts import RecordingOutput, TextToSpeech
from tests.speech import fake_platforms

HANG_GUARD = 10.0


@pytest.fixture
def sapi(monkeypatch):
    fake = fake_platforms.FakeSapi(seconds_per_char=0.002)
    fake_platforms.install(monkeypatch, fake.modules(), "sapi5")
    return fake


@pytest.fixture
def cocoa(monkeypatch):
    fake_platforms.FakeNSSpeechSynthesizer.instances.clear()
    fake_platforms.FakeNSSpeechSynthesizer.seconds_per_char = 0.002
    fake_platforms.install(monkeypatch, fake_platforms.cocoa_modules(), "nsss")
    yield fake_platforms.FakeNSSpeechSynthesizer
    fake_platforms.FakeNSSpeechSynthesizer.instances.clear()


def make_tts(driver: str, realtime: bool = False, **kwargs) -> tuple[TextToSpeech, RecordingOutput]:
    recorder = RecordingOutput(realtime=realtime)
    tts = TextToSpeech(driver=driver, output=recorder, notice=None, **kwargs)
    assert tts.engine_available, tts.problem
    return tts, recorder


# ---- Windows --------------------------------------------------------------------------------------
def test_sapi_two_sentences_in_a_row_render_and_play_without_a_stall(sapi):
    tts, recorder = make_tts("sapi5")
    sentences = "The first sentence is here. It costs < 5 & more, at once."
    tts.speak(sentences)
    assert tts.wait(HANG_GUARD), "speech stalled"
    spoken = [(text, flags) for text, flags in sapi.voice.calls if text]
    assert [text for text, _ in spoken] == ["The first sentence is here.", "It costs < 5 & more, at once."]
    # async into a file stream, markup read as text (SVSFIsNotXML), never parsed away
    assert all(flags == platform_voices.SVSF_ASYNC | platform_voices.SVSF_IS_NOT_XML for _, flags in spoken)
    assert len(sapi.streams) == 2 and all(s.closed and s.mode == 3 and s.Format.Type == 22 for s in sapi.streams)
    expected = sum(len(fake_platforms.tone(text)) for text, _ in spoken)
    assert len(recorder.samples) == expected  # both sentences were heard in full
    assert sapi.voice.AudioOutputStream is None  # the voice's own output is put back
    tts.close()


@pytest.mark.timeout(30)  # hang guard: the old path waited 30 s per sentence
def test_sapi_render_twice_in_a_row_does_not_hang(sapi, tmp_path):
    tts, _ = make_tts("sapi5")
    for i in range(2):
        path = tmp_path / f"s{i}.wav"
        tts.save(f"Saved sentence number {i}.", path)
        assert fake_platforms.wav_seconds(path) > 0.1
    tts.close()


def test_sapi_stop_in_the_middle_of_rendering_purges_at_once(sapi):
    sapi.voice.seconds_per_char = 0.2  # a sentence takes seconds to render
    tts, recorder = make_tts("sapi5")
    tts.speak("A long sentence that takes a while. Another one after it.")
    assert sapi.voice.started.wait(HANG_GUARD)
    started = time.monotonic()
    tts.stop()
    assert tts.wait(HANG_GUARD), "stop did not end the render"
    assert time.monotonic() - started < 5  # hang guard; the real delay is one poll (20 ms)
    purges = [flags for text, flags in sapi.voice.calls if flags & platform_voices.SVSF_PURGE_BEFORE_SPEAK]
    assert purges, "SAPI was not purged"
    assert len(recorder.samples) == 0  # nothing of the stopped sentence was played
    assert [text for text, _ in sapi.voice.calls if text] == ["A long sentence that takes a while."]
    sapi.voice.seconds_per_char = 0.002
    tts.speak("Speech works again after stop.")
    assert tts.wait(HANG_GUARD) and len(recorder.samples) > 0
    tts.close()


def test_sapi_stop_in_the_middle_of_playback(sapi):
    tts, recorder = make_tts("sapi5", realtime=True)
    text = "This sentence plays for a good while so that stop can cut it off. " * 3
    tts.speak(text)
    deadline = time.monotonic() + HANG_GUARD
    while len(recorder.samples) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    tts.stop()
    assert tts.wait(HANG_GUARD)
    full = sum(len(fake_platforms.tone(t)) for t, _ in sapi.voice.calls if t)
    assert 0 < len(recorder.samples) < full


def test_sapi_rate_volume_and_voice_reach_the_com_voice_through_pyttsx3(sapi):
    tts, _ = make_tts("sapi5", rate=250, volume=0.5, voice="TTS_MS_EN-US_DAVID")
    tts.speak("Settings apply.")
    assert tts.wait(HANG_GUARD)
    assert sapi.voice.Voice.Id == "TTS_MS_EN-US_DAVID"
    assert sapi.voice.Volume == 50
    assert sapi.voice.Rate == 4  # pyttsx3's words-per-minute to SAPI mapping: int(log(250/156.63, 1.11))
    tts.close()


# ---- macOS ----------------------------------------------------------------------------------------
def test_macos_two_sentences_in_a_row_render_with_the_synthesizers_own_file_output(cocoa):
    tts, recorder = make_tts("nsss")
    tts.speak("Hello from the Mac. A second sentence follows.")
    assert tts.wait(HANG_GUARD), "speech stalled"
    synthesizer = cocoa.instances[0]
    assert [text for text, _ in synthesizer.calls] == ["Hello from the Mac.", "A second sentence follows."]
    assert all(path.endswith(".aiff") for _, path in synthesizer.calls)
    assert len(recorder.samples) == sum(len(fake_platforms.tone(t)) for t, _ in synthesizer.calls)
    tts.close()


def test_macos_stop_in_the_middle_of_rendering(cocoa):
    cocoa.seconds_per_char = 0.2
    tts, recorder = make_tts("nsss")
    tts.speak("A slow sentence on the Mac. And one more.")
    deadline = time.monotonic() + HANG_GUARD
    while not cocoa.instances and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cocoa.instances[0].started.wait(HANG_GUARD)
    tts.stop()
    assert tts.wait(HANG_GUARD)
    assert cocoa.instances[0].stops >= 1 and len(recorder.samples) == 0
    assert [t for t, _ in cocoa.instances[0].calls] == ["A slow sentence on the Mac."]
    tts.close()


def test_macos_rate_and_volume_are_set_on_the_synthesizer(cocoa):
    tts, _ = make_tts("nsss", rate=220, volume=0.7)
    tts.speak("Settings.")
    assert tts.wait(HANG_GUARD)
    assert cocoa.instances[0].rate() == 220 and abs(cocoa.instances[0].volume() - 0.7) < 1e-6
    tts.close()
