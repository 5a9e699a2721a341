"""deploy/ parses and pins what it runs; production refuses unsafe settings (issue 13, item 8)."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PINNED = re.compile(r"^[a-z0-9./-]+:\d+\.\d+(\.\d+)?[-.\w]*(@sha256:[0-9a-f]{64})?$")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_has_every_service_and_pins_every_image():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "batch-worker", "beat", "nginx"} <= set(services)
    for name, service in services.items():
        image = service.get("image", "")
        if name in ("postgres", "redis", "nginx"):
            assert PINNED.match(image), f"{name}: {image!r} is not pinned to a version"
        else:
            assert service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
            assert "${RETURNPATH_VERSION" in image, f"{name} runs an unversioned image"
        assert ":latest" not in image


def test_redis_keeps_its_queue_and_refuses_rather_than_evicts():
    command = " ".join(compose()["services"]["redis"]["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command


def test_exactly_one_beat_and_batches_on_their_own_worker():
    services = compose()["services"]
    beats = [name for name, s in services.items() if "beat" in " ".join(map(str, s.get("command", [])))]
    assert beats == ["beat"] and services["beat"]["deploy"]["replicas"] == 1
    assert "batches" in services["batch-worker"]["command"] and "batches" not in " ".join(services["worker"]["command"])


def test_the_dockerfile_is_slim_pinned_non_root_and_builds_static_and_messages():
    text = (DEPLOY / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert bases and all(PINNED.match(base) and "slim" in base for base in bases), bases
    assert "collectstatic --noinput" in text and "compilemessages" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert '"gunicorn", "-c", "gunicorn.conf.py"' in text


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_systemd_units_parse(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / unit)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    service = parser["Service"]
    assert service["User"] == "returnpath" and service["Restart"] == "always"
    assert service["ExecStart"].startswith("/opt/returnpath/.venv/bin/")


def test_there_is_one_unit_per_process_kind():
    names = {p.name for p in (DEPLOY / "systemd").glob("*.service")}
    assert names == {"returnpath-web.service", "returnpath-worker.service", "returnpath-batch-worker.service",
                     "returnpath-beat.service"}


def test_nginx_buffers_bodies_and_answers_problem_json_for_the_api():
    text = (DEPLOY / "nginx.conf").read_text()
    assert text.count("{") == text.count("}")
    for directive in ("proxy_request_buffering on;", "client_body_timeout", "client_header_timeout", "client_max_body_size",
                      "error_page 502 503 504 = @api_unavailable;", "default_type application/problem+json;"):
        assert directive in text, directive
    assert "$request_uri" not in text.split("log_format")[1].split(";")[0]  # no query strings in the access log


def _start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_"))}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "returnpath.settings", "DJANGO_ENV": "production",
                               "DJANGO_ALLOWED_HOSTS": "returnpath.example", **env}, timeout=60)


SAFE = {"DJANGO_SECRET_KEY": "k" * 20 + "Zq8-3f_Xy7PzLw0Rt4Vb9Nc2Md6Ke1Gh5Jf", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize(("change", "refusal"), [
    ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG is on"),
    ({"DJANGO_SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production-at-all-ever"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
    ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "SQLite"),
    ({"CELERY_BROKER_URL": "filesystem://"}, "filesystem"),
])
def test_production_refuses_to_start_with_unsafe_settings(change, refusal):
    assert _start(**SAFE).returncode == 0, _start(**SAFE).stderr
    started = _start(**{**SAFE, **change})
    assert started.returncode != 0 and "Refusing to start in production" in started.stderr and refusal in started.stderr


def test_nginx_accepts_the_configuration(tmp_path):
    """``nginx -t`` on deploy/nginx.conf inside an http block, with a local upstream and a throw-away certificate."""
    import shutil

    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or not openssl:
        pytest.skip("nginx or openssl not installed (apt-get install nginx-light)")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx.conf").read_text().replace("server web:8000;", "server 127.0.0.1:8000;")
    site = site.replace("/etc/nginx/tls/", f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log {tmp_path}/access.log;\n client_body_temp_path {tmp_path};\n include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("given", "expected"), [(None, "false"), ("true", "true")])
def test_gunicorn_runs_django_without_debug_unless_asked(given, expected):
    """gunicorn is the production server: DEBUG (a log of every statement's SQL, tracebacks) only
    when DJANGO_DEBUG says so, whatever DJANGO_ENV is."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    if given is not None:
        env["DJANGO_DEBUG"] = given
    code = "import os, runpy; runpy.run_path('gunicorn.conf.py'); print(os.environ['DJANGO_DEBUG'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_ENV": "development"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
