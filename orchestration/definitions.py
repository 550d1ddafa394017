"""The one Definitions object of the ase_impact code location."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.ingestion import ingest_workbook, workbook
from orchestration.assets.transformations import ase_impact_dbt_models
from orchestration.dbt_project import dbt_project
from orchestration.resources import PipelineSettings

defs = dg.Definitions(
    assets=[workbook, ingest_workbook, ase_impact_dbt_models],
    resources={"pipeline": PipelineSettings(), "dbt": DbtCliResource(project_dir=dbt_project)},
)
