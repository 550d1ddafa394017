"""The `ase-impact` command line and its French run summary."""
