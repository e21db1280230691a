"""The programs of a batch: files as given, directories walked for *.grad
files, - for stdin; and each one's text. A file that cannot be found or read
is not an error of the batch but its one record, in its place."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from gradcli.batch.records import file_error
from gradcli.inputs import NOT_REGULAR, regular

STDIN = "<stdin>"


@dataclass
class Item:
    """One program to evaluate: a path (None for stdin), or a record saying why not."""
    name: str
    path: str | None
    problem: dict | None = None


def discover(args: list[str]) -> list[Item]:
    """Files as given; directories walked for *.grad files, sorted; - is stdin."""
    items = []
    for arg in args:
        if arg == "-":
            items.append(Item(STDIN, None))
        elif os.path.isdir(arg):
            found, unreadable = _walk(arg)
            if not found and not unreadable:
                items.append(Item(arg, arg, file_error(arg, f"{arg}: no .grad files in this directory")))
            items.extend(Item(p, p) if regular(p) else Item(p, p, file_error(p, f"{p}: {NOT_REGULAR}"))
                         for p in found)         # a FIFO named x.grad would be read forever
            items.extend(Item(p, p, file_error(p, f"{p}: cannot read this directory ({why})"))
                         for p, why in unreadable)
        elif not os.path.exists(arg):
            items.append(Item(arg, arg, file_error(arg, f"{arg}: no such file or directory")))
        elif not regular(arg):
            items.append(Item(arg, arg, file_error(arg, f"{arg}: {NOT_REGULAR}")))
        else:
            items.append(Item(arg, arg))
    return items


def _walk(top: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The *.grad files under top, hidden directories skipped, sorted by path;
    and the directories that could not be read, each with why (not skipped in silence)."""
    found, unreadable = [], []
    for root, dirs, names in os.walk(top, onerror=lambda e: unreadable.append((e.filename, e.strerror or str(e)))):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, n) for n in names if n.endswith(".grad") and not n.startswith("."))
    return sorted(found, key=lambda p: os.path.relpath(p, top).split(os.sep)), sorted(unreadable)


def read(item: Item) -> tuple[str | None, dict | None]:
    """(text, None), or (None, the record of why it cannot be read). Bytes,
    decoded here: a byte-order mark is dropped, and a byte that is not UTF-8
    is named with its offset."""
    try:
        if item.path is None:
            data = sys.stdin.buffer.read()
        else:
            with open(item.path, "rb") as fh:
                data = fh.read()
    except OSError as e:
        return None, file_error(item.name, f"{item.name}: cannot read it ({e.strerror or e})")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return None, file_error(item.name, f"{item.name}: not a text file in UTF-8 "
                                           f"(byte 0x{data[e.start]:02x} at offset {e.start})")
