"""Issue 18's fault-injection numbers, run by hand (not in the tests):

    python bench/fault_injection.py [FILES]        (default 300)

A --jobs 2 batch of FILES small programs with --output, three times: a
worker SIGKILLed mid-batch (the file named *_kill), a worker out of memory
(*_oom, under an address-space limit), and SIGINT to the parent after 3 s
(the files sleep 50 ms each so that it lands mid-batch). For each: the exit
code, the records written and whether each is whole JSON, and how many files
were lost. The faults come from tests/test_faults.py's sitecustomize hook."""
from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_faults import batch, records      # noqa: E402 - the same hook as the tests


def run(files: int) -> None:
    for fault in ("kill", "oom", "sigint"):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            names = [f"f{i:04d}{'_slow' if fault == 'sigint' else ''}.grad" for i in range(files)]
            if fault != "sigint":
                names[files // 2] = f"f{files // 2:04d}_{fault}.grad"
            out = tmp / "out.jsonl"
            start = time.perf_counter()
            p = batch(tmp, names, "--jobs", "2", "--output", str(out), wait=False)
            if fault == "sigint":
                time.sleep(3)
                p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=600)
            got = records(out.read_text()) if out.exists() else []
            files_written = {r["file"] for r in got}
            finished = len(list((tmp / "done").iterdir())) if fault == "sigint" else files
            failed = {r["file"] for r in got if "error" in r}
            print(f"{fault:7} exit {p.returncode:3}  {time.perf_counter() - start:5.1f} s  "
                  f"{len(files_written):4} files written of {finished} finished ({len(got)} records, whole JSON), "
                  f"{len(failed)} failed: {', '.join(Path(f).name for f in sorted(failed)) or 'none'}"
                  f"{'  TRACEBACK' if 'Traceback' in err else ''}")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
