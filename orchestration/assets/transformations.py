"""dbt models, seeds and tests as Dagster assets and asset checks, lineage joined to ingestion.

Before each build, the département's registry (ASE_IMPACT_REGISTRY) is loaded whole into
raw.associations, the dbt source the marts read it from: Python and SQL see the same rows.
dbt runs as a child process; when the step stops early (a stop signal, an error), the child is
stopped too, so that it never outlives the run holding the warehouse.
"""

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ase_impact.core.registry import load_registry
from ase_impact.gate.run import import_great_expectations
from ase_impact.gate.windows import forget_validated_windows
from ase_impact.warehouse.connection import connect, exclusive_access
from ase_impact.warehouse.loader import replace_registry
from orchestration.dbt_child import STOP_SECONDS, STOP_SIGNALS
from orchestration.dbt_project import (
    SOURCES_FINGERPRINT_VARIABLE,
    build_target_path,
    dbt_environment,
    dbt_project,
    forget_referentiel_loaded,
    is_referentiel_test,
    keep_last_build,
    load_manifest,
    loaded_and_checked_referentiel,
    record_referentiel_loaded,
    referentiel_loaded,
    referentiel_tests,
)
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

# dbt processes this process started and that may still run: a step stopped while its
# generator is suspended does not reach its `finally` before the generator is collected, so the
# headless run stops them itself once the build returns (stop_running_dbt).
running_dbt: set[subprocess.Popen] = set()


def stop_running_dbt() -> None:
    """Stop every dbt process this process started and that still runs."""
    for process in list(running_dbt):
        stop_child(process)
        running_dbt.discard(process)


def stop_child(process: subprocess.Popen) -> None:
    """Stop a child process still running: SIGINT (dbt cancels its queries), then SIGTERM,
    then SIGKILL, STOP_SECONDS apart, as dbt stops itself when orphaned (dbt_child.py). Its
    output pipe is closed first, so that a child writing to it gets an error instead of
    blocking on a pipe nobody reads."""
    if process.poll() is not None:
        return
    if process.stdout is not None:
        process.stdout.close()
    for stop in STOP_SIGNALS:
        try:
            process.send_signal(stop)
            process.wait(timeout=STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


class DbtBuildConfig(dg.Config):
    """How the build job runs dbt; set in the UI's launchpad or by `ase-impact run
    --full-refresh`."""

    full_refresh: bool = False
    """Rebuild the incremental models whole instead of the windows whose months changed, and
    have the publication gate validate every period (docs/performance.md#incremental-builds):
    the same marts, slower."""


def build_command(config: DbtBuildConfig, referentiel_loaded: bool) -> list[str]:
    """dbt's arguments for the pipeline's build. dbt's unit tests check the models' SQL on
    fixed rows, not the data: as dbt advises, they run where the SQL changes (the test suite's
    builds, tests/integration/dbt_build.py), not in every month's build. The référentiel's
    seeds load, and its own tests (its seeds' keys and lists) run, when the warehouse does not
    hold this very project's, checked (referentiel_loaded), and on a full refresh."""
    command = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        return [*command, "--full-refresh"]
    if not referentiel_loaded:
        return command
    # Seeds left out by resource type, not by --exclude: that would leave out every test
    # reading a seed too (the marts' relationships to the référentiel's lists). The
    # référentiel's tests in one space-separated value: dagster-dbt reads one per --exclude.
    return [*command, "seed", "--exclude", " ".join(referentiel_tests(dbt_manifest))]


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

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt's tests of the data are asset checks; the référentiel's own tests are not (they
        check the release, and do not run every month: build_command)."""
        if is_referentiel_test(manifest, unique_id):
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


# The registry the dbt source raw.associations reads: loaded by the dbt step itself, from the
# département's CSV, before each build.
registry_table = dg.AssetSpec(
    ["raw", "associations"],
    description=(
        "Registre des associations du département (fichier CSV ASE_IMPACT_REGISTRY), rechargé "
        "en entier dans raw.associations avant chaque construction."
    ),
    group_name="referentiel",
)


# What `dbt docs generate --static` leaves in the target folder → its name under reports/dbt_docs/.
DBT_DOCS_FILES = {
    "static_index.html": "index.html",
    "manifest.json": "manifest.json",
    "catalog.json": "catalog.json",
}


DOCS_FINGERPRINT = ".empreinte"


def dbt_docs_fingerprint(warehouse: Path, project_fingerprint: str) -> str:
    """What dbt's documentation is made of: the project's files (models, descriptions, tests,
    exposures, seeds) and dbt's version, as the build's sources fingerprint, and the
    warehouse's columns (the catalog: names and types, no figures). Equal fingerprints, equal
    documentation."""
    from ase_impact.warehouse import queries

    digest = hashlib.sha256(project_fingerprint.encode())
    with connect(warehouse, read_only=True) as conn:
        digest.update(repr(queries.table_columns(conn)).encode())
    return digest.hexdigest()


def publish_dbt_docs(
    dbt: DbtCliResource, target: Path, settings, project_fingerprint: str, log
) -> bool:
    """dbt's documentation of the build just done, for analysts: one page holding the models,
    their columns and descriptions, tests, lineage and exposures, with the manifest and the
    catalog inside it (`--static`), so that it opens from the disk or a loopback server with
    no network. The build's own manifest is reused (`--no-compile`): only the catalog is read
    from the warehouse. A build that changed neither the project nor the warehouse's columns
    keeps the page as it is (a dbt process costs seconds). Each file replaced at once; a
    failure is logged, the build stands. Called with the warehouse's lock held.
    """
    docs_dir = settings.dbt_docs_dir
    fingerprint = dbt_docs_fingerprint(settings.warehouse, project_fingerprint)
    kept = docs_dir / DOCS_FINGERPRINT
    if (docs_dir / "index.html").is_file() and kept.is_file() and kept.read_text() == fingerprint:
        return False
    invocation = dbt.cli(
        ["docs", "generate", "--static", "--no-compile"],
        manifest=dbt_project.manifest_path,
        target_path=target,
        raise_on_error=False,
    )
    invocation.wait()
    if not invocation.is_successful():
        log.warning(f"Documentation dbt non générée : {invocation.get_error()}")
        return False
    docs_dir.mkdir(parents=True, exist_ok=True)
    for produced, published in {**DBT_DOCS_FILES, DOCS_FINGERPRINT: DOCS_FINGERPRINT}.items():
        partial = docs_dir / f".{published}.{os.getpid()}.tmp"
        if produced == DOCS_FINGERPRINT:
            partial.write_text(fingerprint)
        else:
            shutil.copyfile(target / produced, partial)
        os.replace(partial, docs_dir / published)
    return True


# The metadata key of a failed build's failure: how many nodes dbt could not run (an error,
# not a data test that failed): a technical failure, never « publication bloquée ».
DBT_ERRORS_METADATA = "noeuds_en_erreur"
# Nodes a failure names, at most; the rest are in dbt's log.
FAILED_NODES_SHOWN = 5
FAILED_MESSAGE_SHOWN = 200  # characters of each node's message


def dbt_build_failure(run_results: Mapping[str, Any], target: Path) -> dg.Failure:
    """Why dbt's build failed, in French: the nodes it could not run (errors: a damaged
    warehouse, a full disk, a bug) apart from the data tests that failed (a blocking check,
    which the build's asset checks name)."""
    results = run_results.get("results", [])
    errors = [result for result in results if result["status"] == "error"]
    failures = [result for result in results if result["status"] == "fail"]

    def named(nodes) -> str:
        shown = []
        for node in nodes[:FAILED_NODES_SHOWN]:
            message = " ".join((node.get("message") or "").split())[:FAILED_MESSAGE_SHOWN]
            name = node["unique_id"].split(".")[-1]
            shown.append(f"{name} ({message})" if message else name)
        more = len(nodes) - len(shown)
        return " ; ".join(shown) + (f" ; et {more} autres" if more > 0 else "")

    parts = []
    if errors:
        parts.append(f"dbt n'a pas pu exécuter {len(errors)} nœud(s) : {named(errors)}")
    if failures:
        parts.append(f"contrôles dbt bloquants en échec : {named(failures)}")
    return dg.Failure(
        description=(" · ".join(parts) or "la construction dbt a échoué")
        + f" (journal : {target / 'dbt.log'})",
        metadata={DBT_ERRORS_METADATA: len(errors) or (0 if failures else 1)},
        allow_retries=False,
    )


# Read once: the assets below are made of it, and the build excludes tests by its names.
dbt_manifest = load_manifest()

dbt_translator = AseImpactDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
)


@dbt_assets(
    manifest=dbt_manifest,
    project=dbt_project,
    dagster_dbt_translator=dbt_translator,
    pool=WAREHOUSE_POOL,
)
def ase_impact_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    pipeline: PipelineSettings,
    config: DbtBuildConfig,
):
    settings = pipeline.resolve()
    # profiles.yml and dbt_project.yml read them from the environment of the dbt subprocess.
    environment = dbt_environment(settings)
    os.environ.update(environment)
    fingerprint = environment[SOURCES_FINGERPRINT_VARIABLE]
    with exclusive_access(settings.warehouse):
        with connect(settings.warehouse) as conn:
            replace_registry(conn, load_registry(settings.registry))
            loaded = referentiel_loaded(conn, fingerprint) and not config.full_refresh
            if not loaded:
                forget_referentiel_loaded(conn)
        # The invocation's own folder starts with this warehouse's partial-parse state.
        prefix = f"{context.op_execution_context.op.name}-{context.run_id[:7]}"
        target = build_target_path(settings.warehouse, prefix)
        if config.full_refresh:
            # Everything rebuilt, everything checked: the gate validates every period too.
            forget_validated_windows(settings.reports_dir)
        command = build_command(config, loaded)
        invocation = dbt.cli(command, context=context, target_path=target, raise_on_error=False)
        invocation.termination_timeout_seconds = STOP_SECONDS
        running_dbt.add(invocation.process)
        try:
            # The publication gate that follows in this process needs it, and its import
            # takes seconds: done now, while dbt's process starts on the other core.
            import_great_expectations()
            yield from invocation.stream()
        finally:
            stop_child(invocation.process)
            running_dbt.discard(invocation.process)
        run_results = invocation.get_artifact("run_results.json")
        if not invocation.is_successful():
            # The folder stays, with dbt's log, to look into.
            raise dbt_build_failure(run_results, target)
        if not loaded and loaded_and_checked_referentiel(dbt_manifest, run_results):
            with connect(settings.warehouse) as conn:
                record_referentiel_loaded(conn, fingerprint)
        keep_last_build(target, settings.warehouse)
        publish_dbt_docs(dbt, target, settings, fingerprint, context.log)
    # Drop the folder once streamed; a failed build leaves it, with dbt's log, to look into.
    shutil.rmtree(target, ignore_errors=True)
