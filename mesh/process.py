"""Process-wide settings, applied by the entry points only (never by library code)."""

import gc


def tune_collector() -> None:
    """Switch off Python's automatic cyclic collector for this process (reference
    counting still frees everything else). Called by the Pulumi entry point and by
    ``python -m mesh``; the benchmark gives its baseline the same setting.

    A run only accumulates: Pulumi keeps every resource's futures, closures and
    outputs alive until the program ends, so nearly all the collector examines
    survives, and rescanning that growing heap costs a share of the run that grows
    with the mesh. What it would free is Pulumi's own cycles, a few hundred small
    objects per registration, gone when the process ends. ``benchmarks/README.md``
    has the measurements."""
    gc.disable()
