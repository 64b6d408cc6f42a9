"""``aae explore``: the server's answers, and the page driven in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.error
import urllib.request

import pytest

from torch_aae import train_run
from torch_aae.explore import explorer_for_run, make_server

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# CI installs Debian's chromium and chromium-driver and sets this, so the browser test cannot
# be skipped there; elsewhere it is skipped when they are missing.
REQUIRE_BROWSER = os.environ.get("TORCH_AAE_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def served(tmp_path_factory, data_dir):
    """A tiny supervised run (2-D style and a label picker) served on 127.0.0.1."""
    from torch_aae.config import RunConfig

    cfg = RunConfig().replace(
        **{
            "data.data_dir": str(data_dir),
            "data.n_train": 600,
            "data.val_size": 200,
            "data.download": False,
            "model.variant": "supervised",
            "model.latent_dim": 3,
            "model.encoder_hidden": [64],
            "model.decoder_hidden": [64],
            "model.disc_hidden": [32],
            "model.init_std": 0.0,  # PyTorch's init: the untrained decoder already depends on z
            "train.epochs": 1,
            "train.batch_size": 50,
            "train.n_eval": 200,
            "train.progress": False,
            "train.device": "cpu",
        }
    )
    run = tmp_path_factory.mktemp("explore") / "run"
    train_run(cfg, run)
    server = make_server(explorer_for_run(run, n=300))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_binds_to_loopback_only(served):
    assert served.startswith("http://127.0.0.1:")


def test_info_and_decode(served):
    status, body = _get(served + "/info")
    info = json.loads(body)
    assert status == 200 and info["dim"] == 3 and info["n_labels"] == 10
    assert len(info["codes"]) == 300 and len(info["labels"]) == 300
    status, png = _get(served + "/decode?z=0,0.5,-1&label=7")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    _, other = _get(served + "/decode?z=0,0.5,-1&label=2")
    assert other != png  # the label changes the image


@pytest.mark.parametrize(
    "query, reason",
    [
        ("z=0,0", "has 2 numbers"),
        ("z=a,b,c", "comma-separated numbers"),
        ("z=nan,0,0", "finite"),
        ("z=0,0,0&label=10", "label must be"),
        ("z=0,0,0&label=-1", "label must be"),
        ("z=0,0,0&evil=1", "unknown parameter"),
        ("label=1", "exactly one z"),
        ("z=" + "1," * 2000 + "1", "longer than"),
        ("z", "malformed query"),
    ],
)
def test_malformed_requests_get_a_400_with_a_reason(served, query, reason):
    status, body = _get(served + "/decode?" + query)
    assert status == 400 and reason in body.decode()


def test_unknown_paths_and_methods_are_refused(served):
    assert _get(served + "/etc/passwd")[0] == 404
    req = urllib.request.Request(served + "/decode?z=0,0,0", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 405


# The red channel of the decoded <img>, read back through a canvas.
_PIXELS = """
const img = document.getElementById('decoded');
const c = document.createElement('canvas');
c.width = img.naturalWidth; c.height = img.naturalHeight;
const g = c.getContext('2d'); g.drawImage(img, 0, 0);
return Array.from(g.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 == 0));
"""


def test_pointer_over_the_plane_changes_the_decoded_image(served):
    if not (CHROMIUM and CHROMEDRIVER):
        if REQUIRE_BROWSER:
            pytest.fail("TORCH_AAE_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.get(served + "/")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element("id", "decoded").get_attribute("data-z"))
        wait.until(lambda d: d.execute_script("return document.getElementById('decoded').complete"))
        plane = driver.find_element("id", "plane")
        first_z = driver.find_element("id", "decoded").get_attribute("data-z")
        first_src = driver.find_element("id", "decoded").get_attribute("src")
        before = driver.execute_script(_PIXELS)
        ActionChains(driver).move_to_element_with_offset(plane, -150, 120).perform()
        wait.until(lambda d: d.find_element("id", "decoded").get_attribute("src") != first_src)
        wait.until(lambda d: d.execute_script("return document.getElementById('decoded').complete"))
        assert driver.find_element("id", "decoded").get_attribute("data-z") != first_z
        after = driver.execute_script(_PIXELS)
        assert len(set(before)) > 1 and len(set(after)) > 1  # images, not blanks
        assert before != after  # the decoded picture itself changed, not only its URL
        # 3-D code: the page made a slider per dimension; the label picker is there
        assert len(driver.find_elements("css selector", "#sliders input")) == 3
        assert driver.find_element("id", "labelbox").is_displayed()
    finally:
        driver.quit()
