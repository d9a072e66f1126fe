"""One module per check; each registers itself with graders.registry.check."""
