"""Pulumi entry point: read the stack config, build the environment, export its outputs."""

from mesh.program import main

main()
