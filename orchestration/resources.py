"""Dagster resources: where the pipeline reads and writes (resolved like the CLI does), dbt."""

from __future__ import annotations

import importlib.metadata
from functools import cached_property

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.settings import Settings, load_settings


class PipelineSettings(dg.ConfigurableResource):
    """Paths of this run; empty values fall back to the ASE_IMPACT_* env vars and defaults."""

    raw_dir: str = ""
    warehouse: str = ""

    def resolve(self) -> Settings:
        return load_settings(raw_dir=self.raw_dir or None, warehouse=self.warehouse or None)


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told dbt's version instead of asking a new dbt process.

    dagster-dbt runs `dbt --version` once per invocation to tell dbt-core from dbt Fusion;
    importing dbt costs seconds here, and dbt-core is what the project installs (uv.lock).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))
