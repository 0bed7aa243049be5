"""The explorer in a real browser: JupyterLab on localhost, driven in headless Chromium.

The test starts JupyterLab in a temporary directory, opens a notebook that calls
``ad.explore``, runs it and drives the widget with Playwright (the Python package,
pointed at Debian's /usr/bin/chromium: no browser download). ``pytest -m browser`` runs
it alone; a missing Chromium is a failure that says how to install it, not a skip.
"""

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
NOTEBOOK_CODE = """\
import adlearn as ad
explorer = ad.explore("log(x1) + x1*x2 - sin(x2)", x1=2.0, x2=5.0)
explorer"""
ARRAYS_CODE = """\
import numpy as np
import adlearn as ad
explorer = ad.explore(lambda W, x: (W @ x).tanh().sum(), W=np.eye(3), x=[0.5, -1.0, 2.0])
explorer"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url, server, seconds=60):
    """Poll JupyterLab's API until it answers (or the server dies, or time runs out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer at {url} within {seconds} s")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab serving a temporary folder that holds the explorer notebook: its URL.

    Everything JupyterLab writes (config, settings, workspaces, runtime files) goes to
    the temporary folder; news and update checks are off, so no request leaves the machine.
    """
    root = tmp_path_factory.mktemp("lab")
    for name, code in (("explore", NOTEBOOK_CODE), ("explore_arrays", ARRAYS_CODE)):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        nbformat.write(notebook, root / f"{name}.ipynb")
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", "--IdentityProvider.token=",
               "--ServerApp.password=", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.user_settings_dir={root / 'settings'}",
               f"--LabApp.workspaces_dir={root / 'workspaces'}",
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / "config"),
           "JUPYTER_DATA_DIR": str(root / "data"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
           "MPLBACKEND": "Agg"}
    log = open(root / "jupyterlab.log", "wb")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium under Playwright; a clear failure when it is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: the browser test needs Debian's chromium "
                    "(apt-get install -y chromium; bash scripts/test does this as root or "
                    "with sudo)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                              headless=True)
        yield chromium
        chromium.close()


def open_and_run(page, url, notebook, workspace=None):
    """Open a notebook in JupyterLab, wait for its kernel to be idle, run all its cells.
    A ``workspace`` of its own keeps the other tests' notebooks out of the way."""
    page.goto(f"{url}/lab/{f'workspaces/{workspace}/' if workspace else ''}tree/{notebook}")
    page.wait_for_function(
        """() => {
            const app = window.jupyterapp;
            const widget = app && app.shell.currentWidget;
            const session = widget && widget.sessionContext && widget.sessionContext.session;
            return session && session.kernel && session.kernel.status === 'idle';
        }""", timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """Where the screenshots go, for a person to look at: $ADLEARN_SCREENSHOTS, or tmp."""
    folder = os.environ.get("ADLEARN_SCREENSHOTS")
    if not folder:
        return tmp_path_factory.mktemp("screenshots")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def type_into(page, readout, text):
    """Type a value into a slider's readout, as a learner does, and press Enter."""
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shown_gradient(page, name):
    return page.locator(f".adlearn-result [data-input='{name}']").text_content()


def test_the_explorer_in_jupyterlab(browser, jupyterlab, screenshots):  # no browser: fail fast
    page = browser.new_page(viewport={"width": 1600, "height": 1500})
    try:
        open_and_run(page, jupyterlab, "explore.ipynb")
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
        explorer = page.locator(".adlearn-explorer")
        explorer.wait_for(timeout=60_000)
        assert shown_gradient(page, "x1") == "5.5"
        assert shown_gradient(page, "x2") == "1.716"  # rounded as the nodes and the trace

        # type a value outside log's domain into x1's slider: the error shows in the widget
        readout = explorer.locator(".widget-slider .widget-readout").first
        type_into(page, readout, "-1")
        explorer.locator(".adlearn-message").get_by_text(
            "ln (-1) is not defined: the logarithm needs a positive input").wait_for(
            timeout=20_000)
        explorer.screenshot(path=screenshots / "explorer_domain_error.png")
        # and back inside it the widget works again: df/dx1 = 1/x1 + x2 = 1/3 + 5
        type_into(page, readout, "3")
        page.wait_for_function("document.querySelector(\".adlearn-result [data-input='x1']\")"
                               ".textContent === '5.333'", timeout=20_000)
        assert explorer.locator(".adlearn-message").text_content() == ""
        # and nudge it with the keyboard: one step of 0.05 up, 1/3.05 + 5
        explorer.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("document.querySelector(\".adlearn-result [data-input='x1']\")"
                               ".textContent === '5.328'", timeout=20_000)

        # the drawing's legend lists the paths from x1; choose x2's and it lists those
        legend = explorer.locator(".adlearn-graph svg text")
        legend.filter(has_text="sum over the paths: ∂v5/∂v-1 = 0.328 + 5 = 5.328").wait_for(
            timeout=20_000)
        explorer.screenshot(path=screenshots / "explorer_paths_x1.png")
        explorer.locator(".adlearn-path-chooser button", has_text="x2").click()
        legend.filter(has_text="Chain-rule paths from v0 (x2)").wait_for(timeout=20_000)
        assert legend.filter(has_text="Chain-rule paths from v-1").count() == 0
        assert "Paths from x2" in explorer.locator(".adlearn-paths").text_content()

        # one step of the reverse sweep
        explorer.locator(".lm-TabBar-tab", has_text="Reverse sweep").click()
        explorer.locator(".adlearn-reverse button", has_text="next").click()
        caption = explorer.locator(".adlearn-reverse .adlearn-caption")
        caption.get_by_text("v5 = v4 - v3 passes").wait_for(timeout=20_000)
        assert "v̄3 += v̄5 · ∂v5/∂v3 = 1 · (-1) = -1 (final)" in caption.text_content()

        legend.filter(has_text="Reverse sweep, step 1 of 5").wait_for(timeout=20_000)
        explorer.screenshot(path=screenshots / "explorer_reverse_step.png")
    finally:
        page.close()



def axe_script():
    """axe-core, the accessibility checker, to inject into a page: the axe.min.js that the
    PyPI package axe-playwright-python (a test extra) ships; a clear failure without it."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None:
        pytest.fail("axe-core is missing: pip install axe-playwright-python (it is in the "
                    "test extra: pip install -e \".[test]\")", pytrace=False)
    return Path(spec.submodule_search_locations[0]) / "axe.min.js"


def axe_violations(page, selector):
    """axe-core's serious and critical violations in the element: [(rule, html)]."""
    result = page.evaluate(f"axe.run(document.querySelector({selector!r}))")
    return [(v["id"], node["html"][:120]) for v in result["violations"]
            if v["impact"] in ("serious", "critical") for node in v["nodes"]]


def focused(page):
    """The focused element: its accessible name (aria-label or text), role and outline."""
    return page.evaluate("""() => {
        const e = document.activeElement, style = getComputedStyle(e);
        return {name: e.getAttribute("aria-label") || e.textContent.trim(),
                role: e.getAttribute("role") || e.tagName.toLowerCase(),
                pressed: e.getAttribute("aria-pressed"),
                outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth)};
    }""")


def tab_to(page, name, presses=40):
    """Press Tab until the control with this accessible name has the focus; each control
    passed on the way shows a visible outline. Returns the controls passed."""
    passed = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        now = focused(page)
        passed.append(now)
        assert now["outline"] >= 2, f"no visible focus on {now}"
        if now["name"] == name:
            return passed
    raise AssertionError(f"Tab never reached {name!r}; it went through {passed}")


def test_the_explorer_is_accessible(browser, jupyterlab, screenshots):
    """Every control reachable and operable from the keyboard, each with a name and a
    visible focus; values and adjoints announced in live regions; the picture named
    and described; axe-core finds no serious or critical violation in any tab."""
    axe = axe_script()
    page = browser.new_page(viewport={"width": 1600, "height": 1500})
    try:
        open_and_run(page, jupyterlab, "explore.ipynb")
        explorer = page.locator(".adlearn-explorer")
        explorer.wait_for(timeout=60_000)
        page.add_script_tag(path=str(axe))
        explorer.locator(".noUi-handle[aria-label='x1']").wait_for(timeout=20_000)
        tree = explorer.aria_snapshot()
        headline = " ".join(explorer.locator(".adlearn-result").text_content().split())
        assert headline.startswith("y = f(x1 = 2, x2 = 5) = 11.652")
        for line in ('slider "x1"', 'slider "x2"', 'group "paths from"', 'button "x1" [pressed]',
                     'tab "Reverse sweep"', f'status: "{headline}"',
                     'img "Computation graph of ((ln x1) + (x1 × x2)) - (sin x2) at x1 = 2, '
                     'x2 = 5: 2 inputs, 5 operations, 8 edges."'):
            assert line in tree, f"{line} not in the accessibility tree:\n{tree[:2000]}"
        description = explorer.locator(".adlearn-graph svg desc").text_content()
        assert "The sum over the paths is the derivative: ∂v5/∂v-1 = 0.5 + 5 = 5.5." in description
        assert axe_violations(page, ".adlearn-explorer") == []

        # from the first slider on, the keyboard alone: nudge x1, and the result is announced
        explorer.locator(".noUi-handle").first.focus()
        assert focused(page)["name"] == "x1" and focused(page)["outline"] >= 2
        page.keyboard.press("ArrowRight")  # 2.05: ∂y/∂x1 = 1/2.05 + 5 = 5.4878...
        result = explorer.locator(".adlearn-result [aria-live='polite']")
        result.get_by_text(re.compile(r"x1 = 2\.05.*∂y/∂x1 = 5\.48[78]")).wait_for(
            timeout=20_000)
        assert focused(page)["name"] == "x1"  # the redraw keeps the focus where it was
        assert [c["name"] for c in tab_to(page, "x2") if c["role"] == "slider"] == ["x2"]
        # the path chooser: Tab to x2's paths and press Space; the drawing says them
        tab_to(page, "x2")
        assert focused(page)["role"] == "button" and focused(page)["pressed"] == "false"
        page.keyboard.press("Space")
        explorer.locator(".adlearn-graph svg desc").get_by_text(
            "There are 2 paths from v0 (x2)", exact=False).wait_for(state="attached",
                                                                     timeout=20_000)
        assert focused(page)["pressed"] == "true"

        # the tabs: Tab to them, the arrow key to the reverse sweep, Enter to open it
        tab_bar = explorer.locator(".lm-TabBar-tab[aria-selected='true']")
        tab_bar.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        explorer.locator(".lm-TabBar-tab[aria-selected='true']", has_text="Reverse sweep").wait_for(
            timeout=20_000)
        passed = tab_to(page, "next (reverse sweep)")
        assert {"play (reverse sweep)", "previous (reverse sweep)"} <= {c["name"] for c in passed}
        page.keyboard.press("Enter")
        caption = explorer.locator(".adlearn-reverse .adlearn-caption [aria-live='polite']")
        caption.get_by_text("v5 = v4 - v3 passes").wait_for(timeout=20_000)
        assert "v̄3 += v̄5 · ∂v5/∂v3 = 1 · (-1) = -1 (final)" in caption.text_content()
        # the picture's title follows the step (it may be redrawn just after the caption)
        explorer.locator(".adlearn-graph svg title").get_by_text(
            "Reverse sweep, step 1 of 5: v5 passes its adjoint back", exact=False).wait_for(
            state="attached", timeout=20_000)
        assert axe_violations(page, ".adlearn-explorer") == []
        explorer.screenshot(path=screenshots / "explorer_keyboard_focus.png")
        # the forward sweep, and its seed chooser, pass axe too
        explorer.locator(".lm-TabBar-tab", has_text="Forward sweep").click()
        explorer.locator(".adlearn-forward .adlearn-caption").get_by_text(
            "Seeded on", exact=False).wait_for(timeout=20_000)
        assert axe_violations(page, ".adlearn-explorer") == []
    finally:
        page.close()


def test_an_array_inputs_sliders_are_named_by_entry(browser, jupyterlab, screenshots):
    """A vector's sliders are x[0], x[1], x[2] for a screen reader too; a matrix gets
    none, and the explorer says so; a slider moved from the keyboard recomputes."""
    axe = axe_script()
    page = browser.new_page(viewport={"width": 1600, "height": 1500})
    try:
        open_and_run(page, jupyterlab, "explore_arrays.ipynb", workspace="arrays")
        explorer = page.locator(".adlearn-explorer")
        explorer.wait_for(timeout=60_000)
        page.add_script_tag(path=str(axe))
        explorer.locator(".noUi-handle[aria-label='x[2]']").wait_for(timeout=20_000)
        tree = explorer.aria_snapshot()
        for line in ('slider "x[0]"', 'slider "x[1]"', 'slider "x[2]"'):
            assert line in tree, f"{line} not in the accessibility tree:\n{tree[:2000]}"
        assert "No sliders for W, a (3×3) array" in explorer.locator(
            ".adlearn-fixed").text_content()
        assert explorer.locator(".noUi-handle").count() == 3 + 2  # x[0..2], the sweeps' steps
        assert shown_gradient(page, "x") == "[0.786, 0.42, 0.071]"  # 1 - tanh(x)², W = I
        explorer.locator(".noUi-handle[aria-label='x[1]']").focus()
        page.keyboard.press("ArrowRight")  # one step of 0.02: 1 - tanh(-0.98)² = 0.4329...
        explorer.locator(".adlearn-result [aria-live='polite']").get_by_text(
            re.compile(r"x = \[0\.5, -0\.98, 2\].*∂y/∂x = \[0\.786, 0\.433, 0\.071\]")).wait_for(
            timeout=20_000)
        assert axe_violations(page, ".adlearn-explorer") == []
        explorer.screenshot(path=screenshots / "explorer_arrays.png")
    finally:
        page.close()


def test_a_slider_is_said_as_its_readout_shows_it_and_a_stale_headline_says_so(
        browser, jupyterlab, screenshots):
    """The handle's aria-valuenow is the readout's value, not rounded further (it said 2.2
    while the readout said 2.15); every readout has the same decimals; after an error the
    headline says it shows the last point where f is defined."""
    page = browser.new_page(viewport={"width": 1600, "height": 1500})
    try:
        open_and_run(page, jupyterlab, "explore.ipynb", workspace="values")
        explorer = page.locator(".adlearn-explorer")
        explorer.wait_for(timeout=60_000)
        handle = explorer.locator(".noUi-handle[aria-label='x1']")
        handle.wait_for(timeout=20_000)
        readouts = explorer.locator(".widget-slider .widget-readout")
        assert [readouts.nth(i).text_content().strip() for i in range(2)] == ["2.00", "5.00"]
        handle.focus()
        for _ in range(3):  # 2.15: the readout and what a screen reader hears agree
            page.keyboard.press("ArrowRight")
        page.wait_for_function("document.querySelector(\".noUi-handle[aria-label='x1']\")"
                               ".getAttribute('aria-valuetext') === '2.15'", timeout=20_000)
        assert readouts.first.text_content().strip() == "2.15"
        assert handle.get_attribute("aria-valuenow") == "2.15"
        explorer.locator(".adlearn-result").get_by_text("x1 = 2.15", exact=False).wait_for(
            timeout=20_000)  # the kernel has recomputed at 2.15
        type_into(page, readouts.first, "-2")
        explorer.locator(".adlearn-message").get_by_text("Not defined here").wait_for(
            timeout=20_000)
        # the headline may be redrawn a moment after the message: wait for it, then read it
        explorer.locator(".adlearn-result").get_by_text("Not the sliders' point",
                                                        exact=False).wait_for(timeout=20_000)
        headline = explorer.locator(".adlearn-result").text_content()
        assert "Not the sliders' point" in headline and "x1 = 2.15" in headline
        explorer.screenshot(path=screenshots / "explorer_stale_headline.png")
    finally:
        page.close()
