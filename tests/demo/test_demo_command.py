import os
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from autosales.catalog.models import Variant
from autosales.customers.models import Organization
from tests.suite_runs import once

AUTOSALES = Path(sys.executable).with_name("autosales")


@pytest.fixture(autouse=True)
def _shop_base_url_restored(monkeypatch):
    """The demo points email links at the URL it serves; other tests must see the configured one again."""
    monkeypatch.setitem(settings.SHOP, "base_url", settings.SHOP["base_url"])


def demo_environment(var_dir: Path) -> dict[str, str]:
    """The environment of someone running the README's first command: no configuration at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "SECRET_", "HTTPS"))}
    env.update({"AUTOSALES_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_demo_no_serve_loads_the_data_and_prints_urls_and_sign_ins(monkeypatch):
    # given
    monkeypatch.delenv("SHOP_BASE_URL", raising=False)
    out = StringIO()

    # when
    call_command("demo", "--no-serve", "--port", "8123", stdout=out)

    # then
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    assert "http://127.0.0.1:8123/backoffice/" in text
    assert "http://127.0.0.1:8123/admin/" in text
    assert 'the password is "demo"' in text
    for username in ("shopper", "buyer", "buyer2", "sales", "clerk", "manager"):
        assert f"\n    {username} " in text, username
    assert "Northwind Facilities Management" in text
    assert settings.SHOP["base_url"] == "http://127.0.0.1:8123"
    assert Variant.objects.count() >= 55
    # five business customers (and the CRM's prospect, without members yet)
    assert (
        Organization.objects.filter(kind=Organization.Kind.BUSINESS, memberships__isnull=False).distinct().count() == 5
    )


@pytest.mark.django_db
def test_demo_shows_a_reachable_url_when_serving_on_all_interfaces():
    # given
    out = StringIO()

    # when
    call_command("demo", "--no-serve", "--host", "0.0.0.0", "--port", "9000", stdout=out)

    # then
    assert "Store        http://127.0.0.1:9000/" in out.getvalue()


@pytest.mark.django_db
def test_demo_rejects_a_port_out_of_range_before_touching_anything():
    # when
    with pytest.raises(CommandError, match="--port: 70000"):
        call_command("demo", "--no-serve", "--port", "70000")

    # then
    assert not Variant.objects.exists()


@once
def test_demo_command_serves_the_store_from_nothing(tmp_path):
    """The README's first command on a fresh machine: a new SQLite database in a data folder that does not exist
    yet, demo data, a store that answers. With SECRET_KEY set no key file is written, which used to be what
    created the folder of the database; without it the key file is made (tests/core), which creates it anyway."""
    # given
    port = free_port()
    var_dir = tmp_path / "fresh" / "var"
    env = demo_environment(var_dir)
    env["SECRET_KEY"] = "x"
    process = subprocess.Popen(
        [str(AUTOSALES), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        # when: wait for the server to say it listens (a guard against hanging, not a timing assertion)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Serving on" in line:
                break
        assert any("Serving on" in line for line in output), "".join(output)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            status, page = response.status, response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=60)

    # then
    text = "".join(output)
    assert "buyer2" in text and "clerk" in text and 'password is "demo"' in text
    assert status == 200
    assert "Bright Bulbs Supply" in page
    assert (var_dir / "autosales.sqlite3").exists()
    assert not (var_dir / "secret_key").exists()


@once
def test_without_a_secret_key_the_demo_makes_one_in_its_data_folder_and_keeps_it(tmp_path):
    """Sessions of the demo survive a restart: the generated key is written once (owner only) and read again."""
    # given a data folder that does not exist yet and no SECRET_KEY
    var_dir = tmp_path / "fresh" / "var"
    read_key = [sys.executable, "-c", "from autosales import settings; print(settings.SECRET_KEY)"]

    # when the settings are read twice
    first, second = (
        subprocess.run(read_key, env=demo_environment(var_dir), capture_output=True, text=True, check=True)
        for _ in range(2)
    )

    # then
    key_file = var_dir / "secret_key"
    assert first.stdout == second.stdout == key_file.read_text().strip() + "\n"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
