"""Cluster runtime: the only code that talks to a Kubernetes API."""
