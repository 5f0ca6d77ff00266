"""One command registry: every action declared once, with no clash between its keys."""

from __future__ import annotations

import tomllib
from collections import Counter

from assistant import commands
from assistant.commands import COMMANDS, MENUS, mnemonic
from assistant.resources import resource


def _duplicates(values) -> list:
    return [v for v, n in Counter(values).items() if n > 1]


def test_ids_are_unique():
    assert _duplicates(c.id for c in COMMANDS) == []


def test_every_menu_item_has_its_own_mnemonic():
    for key, title in MENUS:
        letters = [c.mnemonic for c in commands.in_menu(key)]
        assert all(letters), f"a {title} item has no & mnemonic"
        assert _duplicates(letters) == [], f"mnemonic clash in {title}"


def test_menu_bar_buttons_and_labels_do_not_share_a_mnemonic():
    """Alt+letter must mean one thing in the main window (the menu bar, the buttons and the
    question label all compete for it)."""
    letters = [mnemonic(title) for _, title in MENUS]
    letters += [mnemonic(c.button) for c in COMMANDS if c.button]
    letters.append(mnemonic("&Question:"))
    assert _duplicates(letters) == []


def test_shortcuts_and_hotkeys_are_unique():
    assert _duplicates(c.shortcut for c in COMMANDS if c.shortcut) == []
    assert _duplicates(c.hotkey for c in COMMANDS if c.hotkey) == []
    saved = [commands.get(f"prompt_{n}").shortcut for n in range(1, commands.MAX_SAVED_PROMPTS + 1)]
    assert not set(saved) & {c.shortcut for c in COMMANDS}


def test_every_command_can_be_reached():
    for c in COMMANDS:
        assert c.menu or c.hotkey or c.button or c.global_, f"{c.id} has no binding"
        assert c.help.endswith("."), f"{c.id}: help is a sentence"


def test_global_hotkeys_are_triggers():
    assert all(c.global_ for c in COMMANDS if c.hotkey)
    assert set(commands.default_hotkeys()) <= set(commands.trigger_names())


def test_the_router_speaks_the_registry_names():
    intents = set(tomllib.loads(resource("intents.toml").read_text(encoding="utf-8"))["intents"])
    assert intents == commands.spoken_commands()


def test_the_cli_trigger_help_lists_every_trigger():
    text = commands.trigger_help()
    assert all(f"  {name} " in text for name in commands.trigger_names())
    assert "prompt_N" in text


def test_saved_prompts_and_unknown_names():
    assert commands.is_trigger("prompt_3") and not commands.is_trigger("prompt_10")
    assert not commands.is_trigger("describe_all")  # in the app only
    assert commands.get("nope") is None
