"""The CLI as a subprocess: the JSON line, config shapes, signals; and serving speed."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from sendoso_sandbox.core.process import SandboxStartError, start_sandbox


def test_json_line_and_config_shapes():
    with start_sandbox("--scale", "200", "--seed", "9", "--rate-limit", "7", "--token-ttl", "600") as h:
        info = h.info
        assert list(info) == ["url", "access_token", "configs"]
        url = info["url"]
        assert url.startswith("http://127.0.0.1:")
        sendoso = info["configs"]["sendoso"]
        assert list(sendoso) == ["backend", "requests_per_second"] and sendoso["requests_per_second"] == 7
        assert list(sendoso["backend"]) == ["backend_type", "client_id", "client_secret", "refresh_token", "api_url", "token_url"]
        assert sendoso["backend"]["backend_type"] == "sendoso"
        assert sendoso["backend"]["api_url"] == url + "/api/v3" and sendoso["backend"]["token_url"] == url + "/oauth/token"
        hub = info["configs"]["cloud_elements"]
        assert list(hub) == ["backend", "requests_per_second"] and hub["requests_per_second"] == 7
        assert list(hub["backend"]) == ["backend_type", "base_url", "user_secret", "organization_secret", "element_token"]
        assert hub["backend"]["base_url"] == url + "/elements/api-v2"
        # the printed access token is live; the refresh token works at the token URL
        r = requests.get(url + "/api/v3/me", headers={"Authorization": f"Bearer {info['access_token']}"})
        assert r.status_code == 200
        b = sendoso["backend"]
        token = requests.post(
            b["token_url"],
            data={
                "grant_type": "refresh_token",
                "client_id": b["client_id"],
                "client_secret": b["client_secret"],
                "refresh_token": b["refresh_token"],
            },
        )
        assert token.json()["expires_in"] == 600
        h.proc.send_signal(signal.SIGTERM)
        assert h.proc.wait(15) == 0
        assert h.proc.stdout.read() == b""  # nothing on stdout after the one line


def test_sigint_exits_cleanly_and_unlimited_rate_prints_zero():
    h = start_sandbox("--scale", "50", "--rate-limit", "0")
    try:
        assert h.configs["sendoso"]["requests_per_second"] == 0
        assert h.configs["cloud_elements"]["requests_per_second"] == 0
        # keep a connection open: a clean stop must not hang on it
        session = requests.Session()
        session.get(h.url + "/api/v3/me", headers={"Authorization": f"Bearer {h.access_token}"})
        h.proc.send_signal(signal.SIGINT)
        assert h.proc.wait(10) == 0
    finally:
        h.stop()


def test_same_seed_same_config_across_processes():
    with start_sandbox("--scale", "50", "--seed", "4") as a, start_sandbox("--scale", "50", "--seed", "4") as b:

        def strip(info):
            return {k: {kk: vv for kk, vv in v["backend"].items() if "url" not in kk} for k, v in info["configs"].items()}

        assert strip(a.info) == strip(b.info) and a.access_token == b.access_token


def test_bad_arguments_fail_to_start():
    with pytest.raises(SandboxStartError):
        start_sandbox("--rate-limit", "-1", timeout=30)
    done = subprocess.run([sys.executable, "-m", "sendoso_sandbox", "serve", "--bogus"], capture_output=True, timeout=30)
    assert done.returncode == 2 and done.stdout == b""
