import os
import subprocess
import sys


def _load_settings(**env) -> subprocess.CompletedProcess:
    code = "import autosales.settings as s; print(s.LANGUAGE_CODE)"
    environment = {key: value for key, value in os.environ.items() if key != "SHOP_LANGUAGE"}
    environment.update({"SECRET_KEY": "x" * 50, "DATABASE_URL": "", **env})
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)


def test_the_shop_language_is_english_unless_set():
    assert _load_settings().stdout.split() == ["en-us"]
    assert _load_settings(SHOP_LANGUAGE="es").stdout.split() == ["es"]


def test_a_language_the_store_is_not_translated_into_stops_the_start_naming_the_variable():
    result = _load_settings(SHOP_LANGUAGE="fr")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SHOP_LANGUAGE must be one of en, es, not 'fr'" in result.stderr
