"""Pulumi entry point: read the stack config, build the environment, export its outputs."""

from mesh.process import tune_collector
from mesh.program import main

tune_collector()
main()
