"""A snapshot worker whose engine fails every run with a passing-looking fault (an OSError, not a
Permanent or BadInput error): the real worker handler and retry contract around a poison input.
Each run appends a line to the file named by POISON_RUNS."""

import os

from shared.functions_support import worker_handler


def _engine(src, params, out_dir, stem, *, timeout, on_progress=None, probe=None):
    with open(os.environ["POISON_RUNS"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    raise OSError("the scratch disk returned an I/O error")


main_handler = worker_handler(_engine)
