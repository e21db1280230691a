"""Results written to array files (--output): a grad result as .npz, a sweep
as .csv, .npy or .npz (render/sweep.py). The file's name is checked before
any work, so that a long computation does not end in a usage error; the
arrays are named as a NumPy user reads them back: numpy.load(FILE)["grad_x"].
A write that fails (a full disk) leaves no half-written file behind."""
from __future__ import annotations

import contextlib
import os

from gradcli.errors import UsageError

WRITABLE = "give a file in a folder you can write to"


def check(path: str, suffixes: tuple, what: str, hint: str) -> str:
    """path's suffix (lower case) when it is one of suffixes and its folder
    can be written; else the usage error that says why, before any work."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in suffixes:
        raise UsageError(f"--output {path}: {what} is written as {', '.join(suffixes)}", hint=hint)
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise UsageError(f"--output {path}: that is a folder", hint=WRITABLE)
    if not os.path.isdir(folder):
        raise UsageError(f"--output {path}: no folder {folder}", hint=WRITABLE)
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"--output {path}: permission denied", hint=WRITABLE)
    return ext


@contextlib.contextmanager
def opened(path: str):
    """path open for writing bytes. An OSError, opening or writing, is a usage
    error that names the file, and a file this left half-written is removed.
    numpy is given the open file, never the name: numpy.savez would append
    .npz to a name that ends in .NPZ."""
    made = False
    try:
        with open(path, "wb") as fh:
            made = True
            yield fh
    except OSError as e:
        if made:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise UsageError(f"--output {path}: {e.strerror or e}", hint=WRITABLE) from None


def named(value, grads: dict | None, **more) -> dict:
    """A result's arrays by the names a .npz gives them: value, grad_KEY for
    each gradient (the prefix keeps an input called value apart from the
    value), then more (a sweep's at_NAME, a Hessian)."""
    return {"value": value, **{f"grad_{k}": g for k, g in (grads or {}).items()}, **more}


def save_npz(path: str, arrays: dict) -> None:
    """arrays (name -> array) in an uncompressed .npz: random-looking floats
    do not compress, and the point of a file is speed."""
    import numpy
    with opened(path) as fh:
        numpy.savez(fh, **arrays)


def reported(doc: dict, path: str, arrays: dict) -> dict:
    """A --json document whose arrays went to the file path: the file, and
    the shape of each array in it, in their place."""
    return {**doc, "output": path, "shapes": {name: list(getattr(a, "shape", ())) for name, a in arrays.items()}}
