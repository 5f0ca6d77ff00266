"""Speech output (TTS worker, sentence chunker) and input (microphone, Whisper)."""
