"""Input values from files: --at w=@weights.npy, .csv/.txt of numbers, .json
nested lists. .npy files are read without unpickling."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from gradcli.errors import InputFileError

SUFFIXES = (".npy", ".csv", ".txt", ".json")
NOT_REGULAR = "not a regular file (a device, a FIFO or a socket would be read forever or never)"


def regular(path) -> bool:
    """Whether path is a regular file, or missing (opening it then says so)."""
    import os
    import stat
    try:
        return stat.S_ISREG(os.stat(path).st_mode) or stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return True


def load(path_text: str):
    """A NumPy float array from a file; one clear error naming it otherwise."""
    import numpy
    path = Path(path_text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(f"{path_text}: unknown file type '{suffix or '(none)'}'",
                             hint="use .npy, .csv, .txt or .json")
    if not regular(path):
        raise InputFileError(f"{path_text}: {NOT_REGULAR}")
    try:
        if suffix == ".npy":
            data = numpy.load(path, allow_pickle=False)
            if numpy.iscomplexobj(data):
                raise InputFileError(f"{path_text}: holds complex numbers ({data.dtype})",
                                     hint="gradcli computes with real numbers: save the real part")
        elif suffix == ".json":
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        else:
            with warnings.catch_warnings():         # an empty file: our error below, not NumPy's warning
                warnings.simplefilter("ignore", UserWarning)
                data = numpy.loadtxt(path, delimiter="," if suffix == ".csv" else None, ndmin=1)
            if data.size == 0:
                raise InputFileError(f"{path_text}: holds no numbers", hint="an empty file is not a value")
            if data.ndim == 2 and 1 in data.shape and suffix == ".txt" and data.shape[0] == 1:
                data = data[0]
        array = numpy.asarray(data, dtype=float)
    except FileNotFoundError:
        raise InputFileError(f"{path_text}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path_text}: is a directory, not a file") from None
    except PermissionError:
        raise InputFileError(f"{path_text}: permission denied") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path_text}: not a text file in UTF-8") from None
    except json.JSONDecodeError as e:
        raise InputFileError(f"{path_text}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (ValueError, TypeError, OSError) as e:
        raise InputFileError(f"{path_text}: not an array of numbers ({_first_line(e)})") from None
    return array


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
