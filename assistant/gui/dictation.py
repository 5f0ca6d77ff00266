"""Push-to-talk dictation: first press starts the microphone, second press stops it and sends
the audio to the engine's transcribe intent. Audio capture lives in assistant.speech.audio."""

from __future__ import annotations


class Dictation:
    def __init__(self, window):
        self.window = window
        self.recorder = None

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def toggle(self) -> None:
        if self.recording:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        try:
            from assistant.speech.audio import Recorder

            recorder = Recorder()
            recorder.start()
        except Exception as exc:
            self.window.announce(_reason(exc), assertive=True)
            return
        self.recorder = recorder
        self.window.speech.stop()
        self.window.dictate_button.setText("Stop dic&tating")
        self.window.dictate_button.setAccessibleName("Stop dictating")
        self.window.announce("Listening. Press Dictate again when you have finished.", speak=False)

    def stop(self) -> None:
        recorder, self.recorder = self.recorder, None
        self.window.dictate_button.setText("Dic&tate")
        self.window.dictate_button.setAccessibleName("Dictate")
        try:
            audio = recorder.stop()
        except Exception as exc:
            self.window.announce(_reason(exc), assertive=True)
            return
        self.window.run_engine("transcribe", options={"audio": audio}, label="Dictation")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return "Dictation is not available: speech input is not installed. Type your question instead."
    message = getattr(exc, "message", "")
    return message or f"Dictation could not use the microphone ({type(exc).__name__}). Type your question instead."
