"""The commands the README promises are registered on the app."""

import pytest


@pytest.mark.parametrize("command", [["render"], ["create-admin"], ["users", "disable"],
                                     ["payments", "refund"], ["worker-health"], ["run-worker"],
                                     ["db", "upgrade"]])
def test_command_is_registered(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
