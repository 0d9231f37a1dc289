"""Data loading as a user without data meets it: no CROWD_WS_DATA, an empty cache, no reachable server."""
import os, socket, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

from crowd_ws.data import WEATHER_FILES, load_data, make_crowd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "weather"


def _online(host="raw.githubusercontent.com"):
    try:
        socket.create_connection((host, 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(_online(), reason="the network is reachable: load_data would download instead of failing")
def test_offline_without_data_fails_fast_naming_the_env_var(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CROWD_WS_DATA"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", "from crowd_ws.data import load_data; load_data()"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert time.time() - t0 < 30
    assert r.returncode != 0
    assert "CROWD_WS_DATA" in r.stderr
    # nothing half-written in the cache
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_path_without_files_and_no_server_names_the_folder_fix(tmp_path, monkeypatch):
    import crowd_ws.data as d
    monkeypatch.setattr(d, "WEATHER_URL", "http://127.0.0.1:9/")
    with pytest.raises(OSError, match="CROWD_WS_DATA"):
        d.weather_files(tmp_path, base_url=d.WEATHER_URL, timeout=5)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/weather is not beside the clone")
def test_env_var_is_honoured_and_inputs_untouched(monkeypatch):
    before = {f: (SHARED / f).stat().st_mtime for f in WEATHER_FILES}
    monkeypatch.setenv("CROWD_WS_DATA", str(SHARED))
    crowd, train, dev, test = load_data()
    assert (len(train), len(dev), len(test), len(crowd)) == (187, 50, 50, 2380)
    assert before == {f: (SHARED / f).stat().st_mtime for f in WEATHER_FILES}


@pytest.mark.parametrize("k", [2, 5])
def test_make_crowd_class_balance_and_votes_in_range(k):
    p = np.arange(1, k + 1) / np.arange(1, k + 1).sum()
    c = make_crowd(50_000, 6, cardinality=k, class_balance=p, seed=3)
    np.testing.assert_allclose(np.bincount(c.y, minlength=k) / len(c.y), p, atol=0.01)
    assert c.L.min() >= -1 and c.L.max() <= k - 1
