"""`autosales check --deploy` is clean with production settings (and does flag an insecure set-up)."""

import os
import subprocess
import sys
from pathlib import Path

AUTOSALES = Path(sys.executable).with_name("autosales")


def production_environment(tmp_path, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "SECRET_", "HTTPS"))}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x7Qp2-production-like-secret-key-with-enough-entropy-9fK3mZ8vL1sW4tR6yB0nH5jD",
            # check --deploy does not connect: no database of that name needs to exist
            "DATABASE_URL": "postgres://autosales:secret@127.0.0.1:5432/autosales",
            "HTTPS": "1",
            "ALLOWED_HOSTS": "shop.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
            "AUTOSALES_VAR_DIR": str(tmp_path / "var"),
        }
    )
    env.update(overrides)
    return env


def run_check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AUTOSALES), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    # when
    result = run_check(production_environment(tmp_path))

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_production_without_https(tmp_path):
    # when
    result = run_check(production_environment(tmp_path, HTTPS="0"))

    # then: the check really runs the deployment checks
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout
