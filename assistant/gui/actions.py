"""Named, scriptable actions. Hotkeys, the tray, menus and `main.py trigger` are only bindings."""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    "describe_screen": "Describe the screen",
    "describe_window": "Describe the active window",
    "describe_region": "Describe a region of the screen",
    "read_text": "Read the text on the screen",
    "ask": "Ask a question",
    "repeat": "Repeat the last answer",
    "stop_speaking": "Stop speaking",
    "open_app": "Open the assistant",
}

MAX_SAVED_PROMPTS = 9


def is_valid(action: str) -> bool:
    """An action name, or prompt_N (saved prompt N, counted from 1, about the screen)."""
    if action in ACTIONS:
        return True
    if action.startswith("prompt_") and action[7:].isdigit():
        return 1 <= int(action[7:]) <= MAX_SAVED_PROMPTS
    return False


def all_names() -> list[str]:
    return list(ACTIONS) + [f"prompt_{n}" for n in range(1, MAX_SAVED_PROMPTS + 1)]
