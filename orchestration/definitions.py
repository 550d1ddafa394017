"""The one Definitions object of the ase_impact code location."""

import dagster as dg

from orchestration.assets.completeness import submissions_complete
from orchestration.assets.ingestion import (
    file_accepted,
    ingest_workbook,
    latest_submissions,
    workbook,
)
from orchestration.assets.publication import consolidated_workbooks, published_snapshot
from orchestration.assets.publication_gate import publication_gate
from orchestration.assets.transformations import ase_impact_dbt_models, registry_table
from orchestration.dbt_project import dbt_project
from orchestration.jobs import build_job, ingestion_job
from orchestration.resources import PipelineSettings, installed_dbt
from orchestration.schedules import monthly_schedule
from orchestration.sensors import build_after_ingestion_sensor, raw_files_sensor

defs = dg.Definitions(
    assets=[
        workbook,
        ingest_workbook,
        registry_table,
        latest_submissions,
        ase_impact_dbt_models,
        published_snapshot,
        consolidated_workbooks,
    ],
    asset_checks=[publication_gate, file_accepted, submissions_complete],
    jobs=[ingestion_job, build_job],
    schedules=[monthly_schedule],
    sensors=[raw_files_sensor, build_after_ingestion_sensor],
    resources={
        "pipeline": PipelineSettings(),
        "dbt": installed_dbt(dbt_project),
    },
)
