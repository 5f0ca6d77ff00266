"""Engine handlers for speech input (transcribe), registered into Engine._handlers."""

HANDLERS: dict = {}
