"""How the process runs its model: library chatter off, and threads that leave the event
loop a core. Light to import: the command line calls it before parsing its arguments."""

from __future__ import annotations

import os


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, load reports) out of consoles and logs."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def limit_threads() -> int:
    """Leave a server's event loop a core: torch computes on the others, on one at least."""
    # Oversubscribed, each operator of a forward pass waits for a thread the OS has put
    # aside: on two cores shared with other work, two torch threads encoded questions ten
    # times slower than one.
    import torch
    from threadpoolctl import threadpool_limits

    # The cores this process may run on (a container or taskset may allow fewer).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, (cores or 1) - 1)
    torch.set_num_threads(threads)
    # NumPy's BLAS too (the signals' matrix products): left alone, OpenBLAS starts a thread a
    # core that spins on after each answer, and took 100 ms of CPU per answer from the loop.
    threadpool_limits(limits=threads)
    return threads


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system, once loading is done.

    Loading frees far more than it keeps (the model file's parsing, the index's records,
    the sparse head's dequantisation), and glibc keeps freed pages mapped while anything
    above them in the heap is live: a server would hold them all its life.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:  # glibc only
        trim(0)
