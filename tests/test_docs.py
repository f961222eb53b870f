"""The documentation stays true: the CLI reference matches the parser, links resolve, and every
`sadvae ...` command shown in the README and docs/ parses with the current flags."""
import argparse
import re
import shlex
from pathlib import Path

import pytest

from sadvae.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_cli_reference_lists_every_command_and_flag_and_no_other():
    text = (ROOT / "docs" / "cli.md").read_text()
    sections = dict(re.findall(r"^## sadvae (\S+)\n(.*?)(?=^## sadvae |\Z)", text, flags=re.S | re.M))
    commands = subcommands()
    assert set(sections) == set(commands), "regenerate: python -m sadvae.cli.reference > docs/cli.md"
    for name, sub in commands.items():
        flags = {s for a in sub._actions for s in a.option_strings if a.help != argparse.SUPPRESS}
        listed = re.findall(r"^ {2}(-[^\n]*)$", sections[name], flags=re.M)  # the option lines of the help
        shown = {f for line in listed for f in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line.split("  ")[0])}
        missing = flags - shown
        assert not missing, f"sadvae {name}: {sorted(missing)} not in docs/cli.md (regenerate it)"
        stale = {f for f in shown - flags if f.startswith("--")}
        assert not stale, f"sadvae {name}: docs/cli.md shows {sorted(stale)}, which the parser lacks"


def test_links_between_documents_resolve():
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#]+\.md)\)", doc.read_text()):
            assert (doc.parent / target).is_file(), f"{doc.name}: link to missing {target}"


def shown_commands():
    """Every `sadvae ...` command line inside ```bash blocks, continuation lines joined."""
    for doc in DOCS:
        for block in re.findall(r"```bash\n(.*?)```", doc.read_text(), flags=re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                line = line.split(" #")[0].strip()
                if line.startswith("sadvae "):
                    yield doc.name, line


@pytest.mark.parametrize("doc,line", list(shown_commands()))
def test_every_documented_command_parses(doc, line):
    args = shlex.split(line)[1:]
    if args and args[0] in ("--version",):
        return
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:
        pytest.fail(f"{doc}: `{line}` does not parse (exit {exc.code})")


def test_no_two_flags_of_a_command_set_the_same_setting():
    """Generated flags write to the setting's name: two options of one command must never share it
    (a renamed flag's old name, hidden from help, is the one exception)."""
    for name, sub in subcommands().items():
        dests = [a.dest for a in sub._actions if a.option_strings and a.help != argparse.SUPPRESS]
        assert len(dests) == len(set(dests)), f"sadvae {name}: {sorted(d for d in dests if dests.count(d) > 1)}"


def test_generated_encoder_flags_reach_the_settings():
    from sadvae.cli.main import _encoder_given, _encoder_training

    args = build_parser().parse_args(["fit", "--data", "d", "--format", "npz", "--out", "o", "--epochs", "3",
                                      "--encoder-lr", "0.01", "--encoder-batch-size", "8", "--no-augment",
                                      "--encoder-seed", "7", "--device", "cpu", "--channels", "8,16",
                                      "--streams", "joint", "--frames", "20"])
    training = _encoder_training(args)
    assert (training.epochs, training.lr, training.batch_size, training.augment, training.seed, training.device) == \
        (3, 0.01, 8, False, 7, "cpu")
    assert training.max_tilt_degrees == 9.0 and training.patience == 15  # the rest: the real-data defaults
    assert _encoder_given(args) == {"channels": (8, 16), "streams": ("joint",), "frames": 20}


def test_the_readme_python_blocks_run_as_written(capsys, monkeypatch):
    """Every ```python block of the README, run from the repository's root (it reads ../shared/data)."""
    pytest.importorskip("sentence_transformers")
    from .conftest import shared_or_skip

    shared_or_skip("nw_ucla", "all_sqe")
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks, "the README shows the Python API"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "general" in capsys.readouterr().out
