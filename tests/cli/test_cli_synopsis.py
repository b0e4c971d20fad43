"""The README's CLI synopsis and the parser say the same (issue 15): the same commands, and for each
command the same options (every option the parser takes is in the synopsis, and the synopsis
names no option the parser lacks)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from reconcile.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _synopsis() -> dict[str, set[str]]:
    """``{command: options}`` of the README's ``reconcile [--workspace PATH] ...`` block."""
    text = README.read_text(encoding="utf-8")
    block = text.split("```\nreconcile [--workspace PATH]", 1)[1].split("```", 1)[0]
    commands: dict[str, set[str]] = {}
    current = None
    for line in block.splitlines()[1:]:
        if re.match(r"^  [a-z]", line):  # a command's line: "  name ..."
            current = line.split()[0]
            commands.setdefault(current, set())
        usage = line.split("   ")[0] if not line.startswith("      ") or current is None else line
        if current is not None and not line.startswith("                                         "):
            commands[current] |= set(re.findall(r"--[a-z][a-z-]*", usage))
    return commands


def _parser_options() -> dict[str, set[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = {}
    for name, command in sub.choices.items():
        options = {o for action in command._actions for o in action.option_strings if o.startswith("--")}
        out[name] = options - {"--help"}
    return out


def test_the_synopsis_lists_exactly_the_parsers_commands() -> None:
    assert set(_synopsis()) == set(_parser_options())


def test_each_commands_options_are_the_same_in_the_synopsis_and_the_parser() -> None:
    synopsis, parser = _synopsis(), _parser_options()
    for command, options in parser.items():
        assert synopsis[command] == options, f"{command}: README {sorted(synopsis[command])}, parser {sorted(options)}"


def test_the_global_options_are_in_the_synopsis_head() -> None:
    head = README.read_text(encoding="utf-8").split("```\nreconcile ", 1)[1].splitlines()[0]
    parser = build_parser()
    top = {o for a in parser._actions for o in a.option_strings if o.startswith("--")} - {"--help"}
    assert set(re.findall(r"--[a-z][a-z-]*", head)) == top
