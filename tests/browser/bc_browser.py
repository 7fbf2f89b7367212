"""bc_browser.py -- what the browser tests share: where the programs are,
the processes a test starts and stops, Debian's headless Chromium, and
whole-page screenshots.

Each browser test starts real programs (a hub, nodes, baocao-web) on
loopback with stores in a temporary folder, and drives /usr/bin/chromium
through /usr/bin/chromedriver (Debian's chromium, chromium-driver and
python3-selenium, installed by scripts/install-deps.sh). The same options,
the same stop on SIGTERM and the same screenshot code serve every page
test, so that a change to one (a Chromium flag, a timeout) reaches all.

Environment (set by ctest): BC_BIN_DIR, BC_SOURCE_DIR, BC_SCREENSHOT_DIR;
BC_KEEP=1 keeps the temporary folder for a look after a failure.
"""
import os
import shutil
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BIN = os.environ["BC_BIN_DIR"]
SRC = os.environ["BC_SOURCE_DIR"]
SHOTS = os.environ.get("BC_SCREENSHOT_DIR", os.path.join(BIN, "..",
                                                         "screenshots"))
WIDTH = 1280


def wait_file(path, seconds=10):
    """The stripped text of a file a program writes once it is ready (an
    endpoint file, a URL file), waiting for it to appear."""
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return f.read().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear within {seconds} s")


def chromium(profile_dir):
    """Headless Chromium in Vietnamese, with its own profile folder (two
    browsers of one test must not share cookies)."""
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", f"--window-size={WIDTH},1600", "--lang=vi",
              f"--user-data-dir={profile_dir}"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                               options=opts)
    browser.set_page_load_timeout(30)
    return browser


def page_shot(browser, name):
    """A screenshot of the whole page, not just the window, saved as
    SHOTS/NAME.png; returns its path."""
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    height = browser.execute_script(
        "return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": height, "deviceScaleFactor": 1,
        "mobile": False})
    browser.save_screenshot(path)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


class Programs:
    """The programs a test started, in a temporary folder of its own, with
    a log file each; stopped in reverse order with SIGTERM (SIGKILL after
    10 s), and the folder removed unless BC_KEEP is set."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []
        self.logs = []

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def spawn(self, argv, name):
        """Starts BIN/argv[0] with its output in DIR/NAME.log."""
        log = open(self.path(name + ".log"), "w")
        self.logs.append(log)
        p = subprocess.Popen([os.path.join(BIN, argv[0])] + argv[1:],
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def stop(self):
        """Stops them all; their exit codes, in the order started."""
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for log in self.logs:
            log.close()
        self.logs = []
        if os.environ.get("BC_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return [p.returncode for p in self.procs]
