"""Every action the user can take, declared once (in the spirit of NVDA's @script declarations).

Menus, in-app shortcuts, main-window buttons, global hotkeys, `trigger` names, the router's
spoken actions, the CLI's trigger help and the F1 key list are all generated from COMMANDS.
A key press, a menu item, a hotkey, a `trigger` line and a spoken command are only bindings of
the same command id.

To add an action: add a Command here (a test checks labels, mnemonics and shortcuts for
clashes), then give it a handler — an engine intent (`intent`), a capture plus intent
(`capture`), or a view method named `cmd_<id>` in the GUI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SAVED_PROMPTS = 9
MENUS = (
    ("file", "&File"),
    ("capture", "&Capture"),
    ("picture", "&Picture"),
    ("prompts", "Pro&mpts"),
    ("speech", "&Speech"),
    ("help", "&Help"),
)


@dataclass(frozen=True)
class Command:
    id: str  # the one name: trigger name, router action, settings key for its hotkey
    label: str  # menu text with its & mnemonic
    help: str  # one plain sentence: tooltips, F1 list, CLI help
    menu: str  # a MENUS key, or "" for commands with no menu item
    shortcut: str = ""  # in-app key (Qt portable text, e.g. "Ctrl+1"); a name like "Open" = the platform key
    hotkey: str = ""  # default global hotkey ("ctrl+alt+shift+d"); "" = none
    button: str = ""  # main-window button text with its mnemonic; "" = no button
    capture: str = ""  # screen | all_screens | window | region | clipboard: capture first
    intent: str = ""  # the engine intent this command runs (on the capture or the current picture)
    needs_text: bool = False  # takes the question box text (question, instruction, prompt)
    global_: bool = False  # may be sent with `trigger` from outside the app
    spoken: bool = False  # the router may route an utterance to it

    @property
    def plain_label(self) -> str:
        return self.label.replace("&", "").rstrip("…")

    @property
    def mnemonic(self) -> str:
        return mnemonic(self.label)


def mnemonic(label: str) -> str:
    """The lower-case letter after a single '&' ('' if none)."""
    m = re.search(r"&([^&])", label)
    return m.group(1).lower() if m else ""


C = Command
# fmt: off  (a declaration table reads best one command per entry)
COMMANDS: tuple[Command, ...] = (
    # ---- file
    C(
        "open_file",
        "&Open image…",
        "Open a picture file and describe it.",
        "file",
        "Open",
        button="&Open image…",
        spoken=True,
    ),
    C(
        "paste",
        "&Paste image",
        "Describe the picture on the clipboard.",
        "file",
        "Ctrl+Shift+V",
        capture="clipboard",
        intent="describe",
    ),
    C("save", "&Save picture…", "Save the current picture to a file.", "file", "Save", spoken=True),
    C("history", "&History…", "Show earlier captures, their descriptions and answers.", "file", "Ctrl+H"),
    C("settings", "Se&ttings…", "Change speech, models, safety and hotkeys.", "file", "Ctrl+,"),
    C("models", "&Model manager…", "Download, check or remove models.", "file", "Ctrl+M"),
    C("hide", "Hi&de window", "Hide the window; hotkeys keep working.", "file", "Ctrl+W"),
    C("quit", "&Quit", "Quit the assistant.", "file", "Ctrl+Q"),
    # ---- capture
    C(
        "describe_screen",
        "Describe &screen",
        "Capture the whole screen and describe it.",
        "capture",
        "Ctrl+1",
        "ctrl+alt+shift+d",
        button="Describe scree&n",
        capture="screen",
        intent="describe",
        global_=True,
        spoken=True,
    ),
    C(
        "describe_all",
        "Describe &all screens",
        "Capture every screen and describe them.",
        "capture",
        "Ctrl+Shift+1",
        capture="all_screens",
        intent="describe",
    ),
    C(
        "describe_window",
        "Describe active &window",
        "Capture the active window and describe it.",
        "capture",
        "Ctrl+2",
        "ctrl+alt+shift+w",
        capture="window",
        intent="describe",
        global_=True,
        spoken=True,
    ),
    C(
        "describe_region",
        "Describe a &region…",
        "Choose a part of the screen with the arrow keys and describe it.",
        "capture",
        "Ctrl+3",
        "ctrl+alt+shift+r",
        capture="region",
        intent="describe",
        global_=True,
        spoken=True,
    ),
    C(
        "read_screen",
        "Read &text on screen",
        "Capture the screen and read its text in reading order.",
        "capture",
        "Ctrl+4",
        "ctrl+alt+shift+t",
        capture="screen",
        intent="read_text",
        global_=True,
    ),
    # ---- picture
    C(
        "describe",
        "&Describe picture",
        "Describe the current picture.",
        "picture",
        "Ctrl+D",
        button="&Describe",
        intent="describe",
        global_=True,
        spoken=True,
    ),
    C(
        "read_text",
        "&Read text in picture",
        "Read the text in the current picture in reading order.",
        "picture",
        "Ctrl+R",
        button="&Read text",
        intent="read_text",
        global_=True,
        spoken=True,
    ),
    C(
        "ask",
        "&Ask",
        "Ask the question typed in the question box about the picture.",
        "picture",
        "Ctrl+Return",
        button="&Ask",
        intent="ask",
        needs_text=True,
        global_=True,
        spoken=True,
    ),
    C(
        "focus_question",
        "&Question box",
        "Go to the question box to type a question.",
        "picture",
        "Ctrl+L",
        "ctrl+alt+shift+a",
        global_=True,
    ),
    C(
        "dictate",
        "Dic&tate",
        "Speak a question or command; press again to stop.",
        "picture",
        "Ctrl+Shift+D",
        button="Dic&tate",
        global_=True,
    ),
    C(
        "edit",
        "&Edit picture",
        "Change the picture as the question box says, e.g. make it brighter.",
        "picture",
        "Ctrl+E",
        intent="edit",
        needs_text=True,
        spoken=True,
    ),
    C(
        "generate",
        "&Generate picture",
        "Draw a picture of what the question box says.",
        "picture",
        "Ctrl+G",
        intent="generate",
        needs_text=True,
        spoken=True,
    ),
    C(
        "undo",
        "&Undo edit",
        "Go back to the picture before the last edit.",
        "picture",
        "Ctrl+Z",
        intent="undo",
        spoken=True,
    ),
    C("redo", "Red&o edit", "Redo the edit that was undone.", "picture", "Ctrl+Shift+Z", intent="redo", spoken=True),
    # ---- speech
    C(
        "repeat",
        "&Repeat last answer",
        "Say the last answer again.",
        "speech",
        "Ctrl+Shift+R",
        "ctrl+alt+shift+p",
        global_=True,
        spoken=True,
    ),
    C(
        "stop_speaking",
        "&Stop speaking and cancel",
        "Stop speaking and cancel what is running.",
        "speech",
        "Escape",
        "ctrl+alt+shift+s",
        global_=True,
        spoken=True,
    ),
    C(
        "cancel",
        "&Cancel current step",
        "Cancel what is running; speech goes on.",
        "speech",
        "Ctrl+.",
        button="Cance&l",
    ),
    # ---- help
    C("help", "&Keys and hotkeys", "List every key and hotkey.", "help", "HelpContents", global_=True, spoken=True),
    C("open_log_folder", "Open &log folder", "Open the folder with the assistant's log files.", "help", "Ctrl+Shift+L"),
    # ---- no menu
    C(
        "open_app",
        "Open the assistant",
        "Bring the assistant's window to the front.",
        "",
        hotkey="ctrl+alt+shift+o",
        global_=True,
    ),
)
# fmt: on
del C

BY_ID: dict[str, Command] = {c.id: c for c in COMMANDS}


def get(command_id: str) -> Command | None:
    """The command for an id, including saved prompts (prompt_1 .. prompt_9)."""
    if command_id in BY_ID:
        return BY_ID[command_id]
    n = prompt_number(command_id)
    if n is None:
        return None
    return Command(
        f"prompt_{n}",
        f"&{n} saved prompt {n}",
        f"Ask saved prompt {n} about the picture (the screen if there is none).",
        "prompts",
        f"Alt+{n}",
        intent="ask",
        global_=True,
    )


def prompt_number(command_id: str) -> int | None:
    if command_id.startswith("prompt_") and command_id[7:].isdigit():
        n = int(command_id[7:])
        if 1 <= n <= MAX_SAVED_PROMPTS:
            return n
    return None


def is_trigger(command_id: str) -> bool:
    """May `command_id` be sent with `trigger` (hotkeys, desktop shortcuts, the tray)?"""
    command = get(command_id)
    return command is not None and command.global_


def trigger_names() -> list[str]:
    return [c.id for c in COMMANDS if c.global_]


def trigger_help() -> str:
    """One line per trigger name, for the CLI."""
    lines = [f"  {c.id:<16} {c.help}" for c in COMMANDS if c.global_]
    lines.append(f"  {'prompt_N':<16} Ask saved prompt N (1-{MAX_SAVED_PROMPTS}) about the picture.")
    return "\n".join(lines)


def default_hotkeys() -> dict[str, str]:
    return {c.id: c.hotkey for c in COMMANDS if c.hotkey}


def spoken_commands() -> set[str]:
    """The ids the router may produce (its intents file uses exactly these names)."""
    return {c.id for c in COMMANDS if c.spoken}


def in_menu(menu: str) -> list[Command]:
    return [c for c in COMMANDS if c.menu == menu]


# Names earlier versions used for global hotkeys and triggers: settings files are migrated.
RENAMED = {"ask": "focus_question", "read_text": "read_screen"}
