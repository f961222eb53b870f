"""The command-line reference (docs/cli.md), generated from the parser itself.

    python -m sadvae.cli.reference > docs/cli.md

tests/test_docs.py checks that docs/cli.md is what this prints, so the reference cannot drift from
the flags."""
from __future__ import annotations

import argparse
import os
import sys

from .main import build_parser

WIDTH = "100"  # help is wrapped to this many columns, whatever the terminal


def markdown() -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        parser = build_parser()
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        helps = {c.dest: c.help for c in commands._choices_actions}
        out = ["# Command-line reference", "",
               "Generated from the parser (`python -m sadvae.cli.reference > docs/cli.md`); every flag of every",
               "command, with its help. Settings of `run`, `train`, `sweep` and `protocol` are declared once in",
               "`sadvae.experiment.config.RunConfig` (and `sadvae.methods.config.TrainConfig`), which a TOML file",
               "given with `--config` may also set.", "", "```text", parser.format_help().rstrip(), "```", ""]
        for name, sub in commands.choices.items():
            out += [f"## sadvae {name}", "", helps.get(name) or "", "", "```text", sub.format_help().rstrip(), "```",
                    ""]
        return "\n".join(out)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    sys.stdout.write(markdown())
