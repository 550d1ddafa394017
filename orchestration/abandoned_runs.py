"""Runs that can no longer finish but still hold the warehouse's pool slot.

A run of `ase-impact run` killed outright (SIGKILL, an out-of-memory kill, a power loss) stays
STARTED in Dagster's storage with its claim on the warehouse's pool (one slot, dagster.yaml):
every later run would wait for that slot for ever. Before it runs anything, the command gives
back the slots of runs that are finished (a claim not returned) or whose process, on this
machine, no longer exists; such a run left STARTED is marked failed, saying why.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from orchestration.resources import WAREHOUSE_POOL

# Who runs a command's Dagster runs: the process, on which machine.
PID_TAG = "ase_impact/pid"
HOST_TAG = "ase_impact/host"


def owner_tags(pid: int | None = None) -> dict[str, str]:
    """Tags naming a process of this machine (by default this one) as the runs' owner."""
    return {PID_TAG: str(pid or os.getpid()), HOST_TAG: socket.gethostname()}


def _owner_is_gone(run: dg.DagsterRun) -> bool:
    """The run's owning process was on this machine and no longer exists: the command that
    ran it in-process, or the run worker of a run the daemon or the UI launched (tagged by
    its first step, PipelineSettings.setup_for_execution). A run without owner tags (not yet
    begun, or of another version) is left to Dagster's run monitoring (dagster.yaml)."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if pid is None or host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def release_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Free the warehouse pool's slots of abandoned runs (see the module); their ids."""
    storage = instance.event_log_storage
    info = storage.get_concurrency_info(WAREHOUSE_POOL)
    holders = {slot.run_id for slot in info.claimed_slots} | {
        step.run_id for step in info.pending_steps
    }
    released = []
    for run_id in sorted(holders):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished and not _owner_is_gone(run):
            continue
        if run is not None and not run.is_finished:
            instance.report_run_failed(
                run,
                "Le processus qui exécutait ce run n'existe plus (arrêt forcé) : run marqué en "
                "échec et place de l'entrepôt libérée par le run suivant.",
            )
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released
