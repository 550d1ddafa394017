"""Dagster resources: where the pipeline reads and writes, resolved like the CLI does."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import Settings, load_settings


class PipelineSettings(dg.ConfigurableResource):
    """Paths of this run; empty values fall back to the ASE_IMPACT_* env vars and defaults."""

    raw_dir: str = ""
    warehouse: str = ""

    def resolve(self) -> Settings:
        return load_settings(raw_dir=self.raw_dir or None, warehouse=self.warehouse or None)
