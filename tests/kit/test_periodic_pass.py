"""The background loop behind the sealer, the intent sweeper and the webhook worker."""

import threading

from structlog.testing import capture_logs

from kit.periodic_pass import PeriodicPass


def test_a_failed_pass_is_logged_and_the_next_pass_runs() -> None:
    calls: list[int] = []
    second = threading.Event()

    def run_pass() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise ConnectionError("the database restarted")
        second.set()

    loop = PeriodicPass("test-loop", run_pass, interval_s=0.01, failure_event="test_pass_failed")
    with capture_logs() as logs:
        loop.start()
        assert second.wait(timeout=10)
        loop.stop()
    assert [line["event"] for line in logs if line["log_level"] == "error"] == ["test_pass_failed"]
    ran = len(calls)
    second.clear()
    assert not second.wait(timeout=0.1)  # stopped: no pass after stop
    assert len(calls) == ran
