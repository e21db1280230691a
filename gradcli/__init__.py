"""gradcli: a gradient calculator for the terminal.

    import gradcli
    r = gradcli.grad("norm(4*x*x)", x=[1.0, 1.0])
    r.value, r.grads["x"]
"""
__version__ = "0.1.0"

_API = {"grad": "gradcli.api", "evaluate": "gradcli.api", "sweep": "gradcli.sweeps", "Result": "gradcli.api",
        "check": "gradcli.notebook", "explain": "gradcli.notebook", "graph": "gradcli.notebook",
        "hessian": "gradcli.notebook",
        "GradcliError": "gradcli.errors", "UsageError": "gradcli.errors", "ComputeError": "gradcli.errors"}
__all__ = ["__version__", "load_ipython_extension", *_API]


def load_ipython_extension(ipython):
    """%load_ext gradcli: the %grad and %%gradcli magics (gradcli/notebook.py)."""
    from gradcli.notebook import load
    load(ipython)


def __getattr__(name):
    # The API is imported on first use, so `gradcli --help` stays fast.
    if name in _API:
        import importlib
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
