"""SIGTERM and SIGINT turned into an orderly stop of a command, said in French.

The console script installs `signals_stop_the_command()` around a command. A signal then
raises RunInterrupted wherever the command is (KeyboardInterrupt's kind: every `with` block
unwinds, every transaction rolls back, the warehouse's lock is released, a child process is
stopped by its owner). While an orchestrator runs a step, it may handle the signal itself (it
stops the step); every signal is also noted on a wake-up pipe (signal.set_wakeup_fd), so that
the command learns of it at its next stage (`stop_if_signalled`) even when someone else's
handler caught it. The command line prints the French message and exits with 128 + the
signal's number, as a shell reports a process a signal stopped.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SIGNAL_NAMES = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT (Ctrl+C)"}


class RunInterrupted(KeyboardInterrupt):
    """A stop signal reached the command; message_fr says when and what to do next."""

    def __init__(self, signal_number: int, stage: str | None):
        self.signal_number = signal_number
        self.stage = stage
        super().__init__(self.message_fr)

    @property
    def exit_code(self) -> int:
        return 128 + self.signal_number

    @property
    def message_fr(self) -> str:
        name = SIGNAL_NAMES.get(self.signal_number, f"signal {self.signal_number}")
        during = f" pendant {self.stage}" if self.stage else ""
        return (
            f"Arrêt demandé ({name}){during} : le pipeline s'est arrêté proprement. Les "
            "fichiers déjà intégrés le restent, rien n'est resté écrit à moitié (chaque "
            "intégration est une transaction) et l'entrepôt est libéré. Relancez la même "
            "commande pour terminer."
        )


class _State:
    stage: str | None = None
    received: int | None = None
    wakeup_read: int | None = None


_state = _State()


def entering(stage: str) -> None:
    """Say which stage the command is in (French: « l'intégration des fichiers »)."""
    _state.stage = stage


def _drain() -> int | None:
    """The first stop signal noted on the wake-up pipe since the command started, if any."""
    if _state.wakeup_read is not None:
        try:
            while numbers := os.read(_state.wakeup_read, 512):
                for number in numbers:
                    if number in STOP_SIGNALS and _state.received is None:
                        _state.received = number
        except BlockingIOError:
            pass
    return _state.received


def stop_if_signalled(stage: str | None = None) -> None:
    """Raise RunInterrupted when a stop signal came in, even one another handler caught."""
    received = _drain()
    if received is not None:
        raise RunInterrupted(received, stage or _state.stage)


def _on_signal(number: int, _frame) -> None:
    _state.received = _state.received or number
    raise RunInterrupted(number, _state.stage)


@contextmanager
def signals_stop_the_command() -> Iterator[None]:
    """SIGTERM and SIGINT stop the command in order (see the module); restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    previous_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    previous = {number: signal.signal(number, _on_signal) for number in STOP_SIGNALS}
    _state.wakeup_read, _state.received, _state.stage = read, None, None
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(previous_wakeup)
        _state.wakeup_read = None
        os.close(read)
        os.close(write)
