"""Hotkey combos as users write them in the settings ("ctrl+alt+shift+d"): parsing, checking,
and saying them aloud ("Ctrl+Alt+Shift+D")."""

from __future__ import annotations

from dataclasses import dataclass

MODIFIER_ALIASES = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "shift": "shift",
    "win": "super",
    "windows": "super",
    "super": "super",
    "cmd": "super",
    "meta": "super",
}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "super")
SCREEN_READER_KEYS = {"insert", "caps lock", "capslock"}


@dataclass(frozen=True)
class Combo:
    modifiers: frozenset[str]  # from MODIFIER_ORDER
    key: str  # lower case, as typed: "d", "f1", "page up", ","

    def spoken(self) -> str:
        """How the combo is said and shown: Ctrl+Alt+Shift+D."""
        mods = [m.capitalize() for m in MODIFIER_ORDER if m in self.modifiers]
        key = self.key.upper() if len(self.key) == 1 else self.key.title()
        return "+".join([*mods, key])


def validate_combo(combo: str) -> str | None:
    """None if `combo` is a usable hotkey like ctrl+alt+shift+d; else a sentence saying why not."""
    combo = combo.strip().lower()
    if not combo:
        return None  # empty means: no hotkey for this action
    parts = [p.strip() for p in combo.split("+")]
    if any(not p for p in parts):
        return f"'{combo}' has an empty key between plus signs."
    if any(p in SCREEN_READER_KEYS for p in parts):
        return f"'{combo}' uses Insert or Caps Lock, which screen readers use as their own modifier."
    if not any(p in MODIFIER_ALIASES for p in parts[:-1]):
        return f"'{combo}' needs at least one modifier such as ctrl or alt, so it does not steal a normal key."
    unknown = [p for p in parts[:-1] if p not in MODIFIER_ALIASES]
    if unknown:
        return f"'{combo}' has '{unknown[0]}' where a modifier (ctrl, alt, shift or windows) should be."
    return None


def parse_combo(combo: str) -> Combo:
    """The combo of a valid setting; ValueError with validate_combo's sentence otherwise."""
    problem = validate_combo(combo)
    if problem is None and not combo.strip():
        problem = "An empty hotkey cannot be registered."
    if problem:
        raise ValueError(problem)
    parts = [p.strip() for p in combo.strip().lower().split("+")]
    return Combo(frozenset(MODIFIER_ALIASES[p] for p in parts[:-1]), parts[-1])


# Key names as users write them -> X keysym names (also the names the XDG shortcuts
# specification uses for the portal's preferred triggers).
KEYSYM_NAMES = {
    "enter": "Return",
    "return": "Return",
    "esc": "Escape",
    "escape": "Escape",
    "space": "space",
    "tab": "Tab",
    "backspace": "BackSpace",
    "delete": "Delete",
    "del": "Delete",
    "home": "Home",
    "end": "End",
    "page up": "Prior",
    "pageup": "Prior",
    "page down": "Next",
    "pagedown": "Next",
    "left": "Left",
    "right": "Right",
    "up": "Up",
    "down": "Down",
    "print screen": "Print",
    "print": "Print",
    "pause": "Pause",
    ",": "comma",
    ".": "period",
    "/": "slash",
    ";": "semicolon",
    "'": "apostrophe",
    "[": "bracketleft",
    "]": "bracketright",
    "-": "minus",
    "=": "equal",
    "`": "grave",
    "\\": "backslash",
}


def keysym_name(key: str) -> str:
    """The X keysym name of a key as written in the settings ("f1" -> "F1", "," -> "comma")."""
    if key in KEYSYM_NAMES:
        return KEYSYM_NAMES[key]
    if len(key) > 1 and key[0] == "f" and key[1:].isdigit():
        return key.upper()
    return key


def xdg_trigger(combo: Combo) -> str:
    """The combo in the XDG shortcuts specification's form, for the portal: CTRL+ALT+SHIFT+d."""
    names = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "super": "LOGO"}
    return "+".join([*(names[m] for m in MODIFIER_ORDER if m in combo.modifiers), keysym_name(combo.key)])
