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
    except ValueError:          # a NUL in the name (through the API or piped input): no such file
        raise InputFileError(f"{os.fsdecode(path)!r}: a file name cannot hold a NUL character") from None


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
            data = _npy(path, path_text)
            if numpy.iscomplexobj(data):
                raise InputFileError(f"{path_text}: holds complex numbers ({data.dtype})",
                                     hint="gradcli computes with real numbers: save the real part")
        elif suffix == ".json":
            with open(path, encoding="utf-8") as f:
                data = numbers(json.load(f), path_text)
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
    except OverflowError:
        raise InputFileError(f"{path_text}: holds a number too large for a float") from None
    except RecursionError:
        raise InputFileError(f"{path_text}: its lists nest deeper than any array's") from None
    except (ValueError, TypeError, OSError) as e:
        raise InputFileError(f"{path_text}: not an array of numbers ({_first_line(e)})") from None
    return array


def _npy(path, path_text: str):
    """A .npy array, its header checked first: a file cut short, or one whose
    header claims more elements than it holds, is refused before NumPy
    reads it (or tries to allocate what the header claims)."""
    import math

    import numpy
    from numpy.lib import format as npy
    with open(path, "rb") as f:
        try:
            version = npy.read_magic(f)
            shape, _, dtype = (npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0)(f)
        except (ValueError, EOFError) as e:
            raise InputFileError(f"{path_text}: not a .npy array ({_first_line(e)})",
                                 hint="write it with numpy.save") from None
        if dtype.hasobject:
            raise InputFileError(f"{path_text}: holds Python objects, which gradcli never unpickles",
                                 hint="save an array of numbers")
        claimed = math.prod(shape) * dtype.itemsize
        left = path.stat().st_size - f.tell()
        if left < claimed:
            raise InputFileError(f"{path_text}: its header says {math.prod(shape):,} elements of shape "
                                 f"{shape}, but the file holds {left:,} bytes of them",
                                 hint="the file is cut short or not what it claims: write it again")
    return numpy.load(path, allow_pickle=False)


_NAMED = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def numbers(data, path_text: str):
    """JSON nested lists of numbers; "nan", "inf" and "-inf" as gradcli's own
    JSON writes them. null, other strings, true/false and objects are refused
    (naming where), rather than read as nan or as numbers."""
    def fix(v, where):
        if isinstance(v, list):
            return [fix(item, f"{where}[{i}]") for i, item in enumerate(v)]
        if isinstance(v, str) and v in _NAMED:
            return _NAMED[v]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
        what = {type(None): "null", bool: "true/false", str: f"the string {v!r}", dict: "an object"}.get(type(v), "")
        raise InputFileError(f"{path_text}: {what or type(v).__name__}{' at ' + where if where else ''} is not a number",
                             hint='JSON arrays of numbers; nan and infinities as "nan", "inf", "-inf"')
    return fix(data, "")


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
