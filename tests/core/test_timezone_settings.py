import os
import subprocess
import sys

import pytest


def _load_settings(**env) -> subprocess.CompletedProcess:
    code = "import autosales.settings as s; print(s.TIME_ZONE, s.JOBS_TIME_ZONE)"
    environment = {key: value for key, value in os.environ.items() if not key.endswith("TIME_ZONE")}
    environment.update({"SECRET_KEY": "x" * 50, "DATABASE_URL": "", **env})
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)


def test_the_shop_zone_is_the_display_zone_and_the_jobs_zone_by_default():
    result = _load_settings(SHOP_TIME_ZONE="Pacific/Auckland", JOBS_TIME_ZONE="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Pacific/Auckland", "Pacific/Auckland"]


def test_without_a_shop_zone_the_shop_reads_utc():
    result = _load_settings(JOBS_TIME_ZONE="")

    assert result.stdout.split() == ["UTC", "UTC"]


@pytest.mark.parametrize("variable", ["SHOP_TIME_ZONE", "JOBS_TIME_ZONE"])
def test_an_unknown_zone_stops_the_start_naming_the_variable(variable):
    result = _load_settings(**{variable: "Mars/Olympus_Mons"})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable}: Unknown time zone 'Mars/Olympus_Mons'" in result.stderr
