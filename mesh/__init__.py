"""The service-mesh program: stack config, environment assembly, offline render and check."""
