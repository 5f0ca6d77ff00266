"""Engine handlers for edit / generate / undo / redo, registered into Engine._handlers."""

HANDLERS: dict = {}
