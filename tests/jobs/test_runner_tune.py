"""A process that only runs jobs lets a thread waiting on a server's answer take the interpreter soon."""

import sys

import pytest

from autosales.jobs.runner import WORKER_SWITCH_INTERVAL, worker_process_tune


def test_a_worker_process_switches_threads_sooner_than_the_default():
    before = sys.getswitchinterval()
    try:
        worker_process_tune()
        assert sys.getswitchinterval() == pytest.approx(WORKER_SWITCH_INTERVAL) and before > WORKER_SWITCH_INTERVAL
    finally:
        sys.setswitchinterval(before)
