"""dbt models, seeds and tests as Dagster assets and asset checks, lineage joined to ingestion."""

import os
import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_project import dbt_project, prepare_manifest
from orchestration.ingest.warehouse import exclusive_access
from orchestration.resources import PipelineSettings


class AseImpactDbtTranslator(DagsterDbtTranslator):
    """Models keyed by schema and table name (marts/fct_indicators), grouped by layer.

    Sources keep the asset key set in their `meta.dagster.asset_key` (raw/…, quality/…), which
    are the ingestion assets' keys: the graph runs whole from workbook to mart.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([dbt_resource_props["schema"], name])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "referentiel"
        return dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None


dbt_translator = AseImpactDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
)


@dbt_assets(
    manifest=prepare_manifest(),
    project=dbt_project,
    dagster_dbt_translator=dbt_translator,
    pool="duckdb",
)
def ase_impact_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineSettings
):
    settings = pipeline.resolve()
    # profiles.yml reads both from the environment of the dbt subprocess.
    os.environ["ASE_IMPACT_WAREHOUSE"] = str(settings.warehouse)
    os.environ["ASE_IMPACT_MIN_CELL"] = str(settings.min_cell)
    with exclusive_access(settings.warehouse):
        invocation = dbt.cli(["build"], context=context)
        yield from invocation.stream()
    # Each invocation writes its artefacts in a folder of its own: drop it once streamed.
    shutil.rmtree(invocation.target_path, ignore_errors=True)
