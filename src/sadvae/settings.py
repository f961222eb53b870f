"""Settings declared once: a dataclass field carries its default, type and help, and everything else
(command-line flags, type checks of config files, allowed values) is generated from it.

    lr: float = setting(3.4e-5, "learning rate of both optimisers")

`add_flags` turns such fields into argparse options (`--lr`; a bool defaulting to True becomes
`--no-NAME`); every generated option defaults to None, meaning "not given", so presets and config
files can fill it. `check` validates one value from a file or a caller against the field.
"""
from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import field

from .errors import SadvaeError


def setting(default, help: str, *, choices=None, group: str = "model", flag: bool = True, required: bool = False,
            metavar: str | None = None, option: str | None = None):
    """A dataclass field with what a flag needs. `choices`: allowed values (or a function returning
    them); `group`: the help section; `flag=False`: settable from files and the API only; `option`:
    the flag's name when it is not --FIELD-NAME (a boolean that defaults to True: --no-FIELD-NAME)."""
    meta = {"help": help, "choices": choices, "group": group, "flag": flag, "required": required,
            "metavar": metavar, "option": option}
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def choices_of(f: dataclasses.Field):
    allowed = f.metadata.get("choices")
    return tuple(allowed()) if callable(allowed) else allowed


def _hint(cls, name: str):
    hint = typing.get_type_hints(cls)[name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def base_type(cls, name: str):
    """The field's type without `| None` (int, float, str, bool; list for list[int], tuple for tuples)."""
    hint = _hint(cls, name)
    return typing.get_origin(hint) or hint


def int_list(text: str) -> tuple[int, ...]:
    """A flag's comma-separated integers ("16,32,64")."""
    try:
        values = tuple(int(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, found {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def name_list(text: str) -> tuple[str, ...]:
    """A flag's comma-separated names ("joint,bone")."""
    values = tuple(v for v in text.replace(",", " ").split())
    if not values:
        raise argparse.ArgumentTypeError("expected at least one name")
    return values


def declared(cls) -> list[dataclasses.Field]:
    """The fields of `cls` declared with `setting` (in declaration order)."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def flag_fields(cls, group: str | None = None) -> list[dataclasses.Field]:
    return [f for f in declared(cls) if f.metadata["flag"] and (group is None or f.metadata["group"] == group)]


def add_flags(parser, cls, group: str | None, title: str | None = None, only: tuple[str, ...] = ()) -> None:
    """One option per flag field of `cls` in `group` (or just the fields named in `only`), under the
    help section `title` (or the parser)."""
    target = parser.add_argument_group(title) if title else parser
    for f in flag_fields(cls, None if only else group):
        if only and f.name not in only:
            continue
        name = f.metadata.get("option") or "--" + f.name.replace("_", "-")
        kind = base_type(cls, f.name)
        help_text = f.metadata["help"]
        if kind is bool:
            if f.default is True:
                target.add_argument(f.metadata.get("option") or "--no-" + f.name.replace("_", "-"), dest=f.name,
                                    action="store_false", default=None, help=help_text)
            else:
                target.add_argument(name, dest=f.name, action="store_true", default=None, help=help_text)
            continue
        if kind is tuple:  # tuple[int, ...] or tuple[str, ...]: a comma-separated list
            kind = int_list if typing.get_args(_hint(cls, f.name))[0] is int else name_list
        target.add_argument(name, dest=f.name, type=kind if kind in (int, float, int_list, name_list) else str,
                            default=None, choices=list(choices_of(f)) if f.metadata["choices"] else None,
                            required=f.metadata["required"], metavar=f.metadata["metavar"], help=help_text)


def given(args: argparse.Namespace, cls) -> dict:
    """The flag fields of `cls` that the command line set, by name (None: not given)."""
    return {f.name: getattr(args, f.name, None) for f in flag_fields(cls)}


def check(cls, name: str, value, where: str):
    """`value` for field `name` of `cls` if it has the field's type (and is allowed), else one clear error."""
    kind = base_type(cls, name)
    integral = isinstance(value, int) and not isinstance(value, bool)
    if kind is int:
        ok, what = integral, "an integer"
    elif kind is float:
        ok, what = integral or isinstance(value, float), "a number"
    elif kind is bool:
        ok, what = isinstance(value, bool), "true or false"
    elif kind is str:
        ok, what = isinstance(value, str), "a string"
    elif kind is list:
        ok = integral or (isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                                           for v in value))
        what = "a list of integers"
    else:
        return value
    if not ok:
        raise SadvaeError(f"{where}: expected {name} to be {what}, found {value!r}")
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    allowed = choices_of(f) if "choices" in f.metadata else None
    if allowed and value not in allowed:
        raise SadvaeError(f"--{name.replace('_', '-')}: expected one of {', '.join(map(str, allowed))}, "
                          f"found {value!r}")
    return float(value) if kind is float else value
