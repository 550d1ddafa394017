"""Tools for developers, not part of the product: the demo-data generator."""
