"""The publication gate: great-expectations suites on the marts, before anything is published."""
