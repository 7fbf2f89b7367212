#!/usr/bin/python3
"""test_web.py -- the operators' desk in a real browser.

Starts the shipped programs (a hub, nine ward nodes of Hồng Bàng, and
baocao-web) on loopback with real LMDB stores in a temporary folder, files
the Hồng Bàng 2023-12 nutrition fixture through the nodes, then drives
Debian's headless Chromium (chromium-driver, python3-selenium) through the
pages and checks what an operator would read. Screenshots of each page go
to $BC_SCREENSHOT_DIR (the build folder's screenshots/).

Also checks, without the browser, that malformed or oversized requests get
a 4xx and that the server goes on serving.

Environment (set by ctest): BC_BIN_DIR, BC_SOURCE_DIR, BC_SHARED_DIR,
BC_SCREENSHOT_DIR.
"""
import csv
import http.client
import io
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from bc_browser import BIN, SRC, Programs, chromium, page_shot, wait_file
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

SHARED = os.environ["BC_SHARED_DIR"]

# Ward codes in the fixture's row order (data/units.csv names them).
WARDS = ["HP-HB-QT", "HP-HB-HV", "HP-HB-SD", "HP-HB-TC", "HP-HB-TL",
         "HP-HB-HL", "HP-HB-HVT", "HP-HB-PBC", "HP-HB-MK"]
# Wards that file 2023-11 too; the other three are missing that month.
NOVEMBER = WARDS[:6]
PASSWORD = "Mật-khẩu đủ dài 2023"
PHONES = {"HP-HB-HVT": "0225 3842 111", "HP-HB-PBC": "0225 3745 222"}


class Desk(unittest.TestCase):
    """One hub, nine nodes and one baocao-web for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.progs = Programs("baocao-web-")
        cls.dir = cls.progs.dir
        cls.browser = None
        # unittest skips tearDownClass when setUpClass fails: stop what was
        # started here, so that a failed start leaves no hub or desk behind.
        try:
            cls.start()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def start(cls):
        # The shipped registry with a phone column (extra columns are
        # ignored by the hub; the desk shows them for missing units).
        units = os.path.join(cls.dir, "units.csv")
        with open(os.path.join(SRC, "data", "units.csv"),
                  encoding="utf-8") as f:
            rows = list(csv.reader(f))
        rows[0].append("phone")
        for r in rows[1:]:
            r.append(PHONES.get(r[0], ""))
        with open(units, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        catalog = os.path.join(SRC, "data", "indicators.csv")
        ep_file = os.path.join(cls.dir, "hub.endpoint")
        cls.spawn(["baocao-hub", "--store", os.path.join(cls.dir, "hub"),
                   "--registry", units, "--catalog", catalog,
                   "--bind", "tcp://127.0.0.1:*", "--endpoint-file", ep_file,
                   "--plain", "--log-level", "warn"], "hub")
        cls.hub = wait_file(ep_file)
        cls.file_reports()
        # A 2023 plan for the district: % of plan is year to date / target.
        plan = os.path.join(cls.dir, "plan.csv")
        with open(plan, "w") as f:
            # A rate's target is in its own units (10 for 10 %); a target
            # of 0 is a target, whose % of plan is not defined.
            f.write("indicator,target\nsdd_u5,15000\n"
                    "sdd_underweight_rate,10\nsdd_malnourished,0\n")
        cls.run_prog(["baocao", "plan", "--hub", cls.hub, "--plain",
                      "--unit", "HP-HB", "--year", "2023", "--file", plan])
        # One operator, admin, whose password is set the documented way.
        cls.operators = os.path.join(cls.dir, "operators")
        r = subprocess.run([os.path.join(BIN, "baocao-web"), "--operators",
                            cls.operators, "--set-password", "admin"],
                           input=PASSWORD + "\n", text=True,
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(cls.operators) as f:
            text = f.read()
        assert "admin:admin:$argon2id$" in text and PASSWORD not in text
        # A station that ran `baocao enroll` and tried to connect: its key
        # as the hub records it (the CURVE path is integration.enroll).
        cls.station_key = cls.run_prog(["baocao", "keygen", "--out",
                                        os.path.join(cls.dir, "station")]
                                       ).strip()
        cls.pending = os.path.join(cls.dir, "pending-keys")
        with open(cls.pending, "w") as f:
            f.write(f"{cls.station_key},1701388800,192.0.2.7\n")
        cls.units = units
        url_file = os.path.join(cls.dir, "web.url")
        cls.web = cls.spawn(["baocao-web", "--hub", cls.hub, "--plain",
                             "--listen", "127.0.0.1:0", "--url-file",
                             url_file, "--registry", units, "--catalog",
                             catalog, "--operators", cls.operators,
                             "--pending", cls.pending, "--hub-pid",
                             str(cls.progs.procs[0].pid)],
                            "web")
        cls.url = wait_file(url_file).rstrip("/")
        # Quán Toan's node, running on, with the station's form.
        form_file = os.path.join(cls.dir, "form.url")
        cls.spawn(["baocao-node", "--store",
                   os.path.join(cls.dir, "node-HP-HB-QT"), "--unit",
                   "HP-HB-QT", "--hub", cls.hub, "--plain", "--poll", "100",
                   "--form", "127.0.0.1:0", "--catalog", catalog,
                   "--form-url-file", form_file], "node-form")
        cls.form_url = wait_file(form_file).rstrip("/")
        cls.browser = chromium(os.path.join(cls.dir, "chromium-main"))
        cls.login(cls.browser, cls.url, "admin", PASSWORD)
        assert "/login" not in cls.browser.current_url

    @classmethod
    def spawn(cls, argv, name):
        return cls.progs.spawn(argv, name)

    @classmethod
    def run_prog(cls, argv):
        r = subprocess.run([os.path.join(BIN, argv[0])] + argv[1:],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"{argv}: exit {r.returncode}: {r.stderr}")
        return r.stdout

    @classmethod
    def file_reports(cls):
        """Each ward files at its own node; the node delivers to the hub."""
        with open(os.path.join(SHARED, "fixtures",
                               "hong-bang-2023-nutrition.csv"),
                  encoding="utf-8") as f:
            fixture = list(csv.DictReader(f))
        for code, row in zip(WARDS, fixture):
            store = os.path.join(cls.dir, "node-" + code)
            reports = [("2023-12", row)]
            if code in NOVEMBER:
                reports.append(("2023-11", {k: str(int(int(v) * 0.9))
                                            if k in ("children_under5",)
                                            else v for k, v in row.items()}))
            for period, r in reports:
                path = os.path.join(cls.dir, f"{code}-{period}.csv")
                with open(path, "w") as out:
                    out.write("indicator,value\n"
                              f"sdd_u5,{r['children_under5']}\n"
                              f"sdd_u2,{r['children_under2']}\n"
                              f"sdd_malnourished,{r['malnourished']}\n"
                              f"sdd_underweight,{r['underweight_children']}\n")
                cls.run_prog(["baocao", "submit", "--store", store, "--unit",
                              code, "--period", period, "--file", path])
        nodes = [subprocess.Popen(
            [os.path.join(BIN, "baocao-node"), "--store",
             os.path.join(cls.dir, "node-" + c), "--unit", c, "--hub",
             cls.hub, "--plain", "--drain", "--max-seconds", "60",
             "--log-level", "warn"], stderr=subprocess.DEVNULL)
            for c in WARDS]
        for n in nodes:
            if n.wait(timeout=90) != 0:
                raise AssertionError("a node did not deliver its reports")

    @classmethod
    def stop_all(cls):
        if getattr(cls, "browser", None):
            cls.browser.quit()
            cls.browser = None
        return cls.progs.stop()

    @classmethod
    def tearDownClass(cls):
        # Each stops cleanly on SIGTERM (and ASan finds no leak).
        codes = cls.stop_all()
        assert codes == [0] * len(codes), f"exit codes {codes} (hub, desk, " \
            "nodes)"

    # --- helpers ----------------------------------------------------------

    @staticmethod
    def login(browser, url, name, password, next_path="/"):
        browser.get(url + "/login?next=" + next_path)
        browser.find_element(By.ID, "name").send_keys(name)
        browser.find_element(By.ID, "password").send_keys(password)
        browser.find_element(By.ID, "submit").click()
        WebDriverWait(browser, 20).until(
            lambda b: "failed=1" in b.current_url
            or "/login" not in b.current_url)

    def cookie(self):
        c = self.browser.get_cookie("bc_session")
        return {"Cookie": "bc_session=" + c["value"]} if c else {}

    def open(self, path):
        self.browser.get(self.url + path)
        WebDriverWait(self.browser, 20).until(
            lambda b: not b.find_element(By.ID, "content")
            .get_attribute("hidden")
            or b.find_element(By.ID, "status").text.startswith("Không"))
        status = self.browser.find_element(By.ID, "status").text
        self.assertEqual(status, "", f"the page says: {status}")

    def shot(self, name):
        """The whole page, not just the window."""
        return page_shot(self.browser, name)

    def cell(self, indicator, cls):
        return self.browser.find_element(
            By.CSS_SELECTOR, f'tr[data-indicator="{indicator}"] td.{cls}').text

    def get(self, path):
        return urllib.request.urlopen(self.url + path, timeout=10)

    # --- the pages --------------------------------------------------------

    def test_1_dashboard_figures(self):
        """The district's figures as the seeds print them."""
        self.open("/?unit=HP-HB&period=2023-12")
        self.assertIn("Quận Hồng Bàng",
                      self.browser.find_element(By.ID, "title").text)
        self.assertEqual(self.cell("sdd_u5", "value"), "7.492")
        self.assertEqual(self.cell("sdd_u2", "value"), "2.855")
        self.assertEqual(self.cell("sdd_malnourished", "value"), "1.594")
        self.assertEqual(self.cell("sdd_underweight_rate", "value"),
                         "8,50 %")
        # Change from November: the six wards that filed then had 10 %
        # fewer children under 5, the other three nothing.
        # Year to date 12.899 (Nov + Dec) of a 15.000 plan.
        self.assertEqual(self.cell("sdd_u5", "cumulative"), "12.899")
        self.assertEqual(self.cell("sdd_u5", "target-pct"), "86,0 %")
        # The rate's and the zero target's % of plan, as `baocao query`
        # gives them (the page once left both out).
        import json
        cli = json.loads(self.run_prog(
            ["baocao", "query", "--hub", self.hub, "--plain", "--unit",
             "HP-HB", "--period", "2023-12", "--format", "json"]))["figures"]
        rate_pct = cli["sdd_underweight_rate"]["target_pct"]
        self.assertIsNotNone(rate_pct)
        self.assertEqual(self.cell("sdd_underweight_rate", "target-pct"),
                         f"{rate_pct:.1f}".replace(".", ",") + " %")
        self.assertEqual(cli["sdd_malnourished"]["target"], 0)
        self.assertIsNone(cli["sdd_malnourished"]["target_pct"])
        self.assertEqual(self.cell("sdd_malnourished", "target-pct"), "–")
        change = self.cell("sdd_u5", "change")
        self.assertTrue(change.startswith("▲ +"), change)
        # The ranking: the nine wards, Sở Dầu first (1.257, 16,8 %).
        rows = self.browser.find_elements(By.CSS_SELECTOR,
                                          "#children tbody tr")
        self.assertEqual(len(rows), 9)
        self.assertEqual(rows[0].get_attribute("data-unit"), "HP-HB-SD")
        self.assertIn("1.257", rows[0].text)
        self.assertIn("16,8 %", rows[0].text)
        # The chart was drawn from the vendored Chart.js (no CDN).
        self.assertTrue(self.browser.execute_script(
            "return typeof Chart !== 'undefined' && "
            "Chart.getChart('chart') !== undefined"))
        # ... from the hub's SliceQuery: December and November of 2023,
        # nothing in 2022.
        series = self.browser.execute_script(
            "return Chart.getChart('chart').data.datasets"
            ".map(d => d.data)")
        self.assertEqual(series[0][11], 7492)
        self.assertEqual(series[0][10], 7492 - 2085)
        self.assertEqual(series[1], [None] * 12)
        self.shot("dashboard")

    def test_2_drill_down(self):
        """A click on a ward's row opens that ward's dashboard."""
        self.open("/?unit=HP-HB&period=2023-12")
        row = self.browser.find_element(
            By.CSS_SELECTOR, '#children tr[data-unit="HP-HB-SD"] td.value')
        row.click()
        WebDriverWait(self.browser, 20).until(
            EC.url_contains("unit=HP-HB-SD"))
        self.open("/?unit=HP-HB-SD&period=2023-12&indicator=sdd_u5")
        self.assertIn("Phường Sở Dầu",
                      self.browser.find_element(By.ID, "title").text)
        self.assertEqual(self.cell("sdd_u5", "value"), "1.257")
        path = self.browser.find_element(By.ID, "path").text
        self.assertIn("Quận Hồng Bàng", path)
        self.shot("dashboard-ward")

    def test_3_completeness(self):
        """The grid marks the three wards that did not report 2023-11."""
        self.open("/completeness?unit=HP-HB&period=2023-12")
        cells = {}
        for td in self.browser.find_elements(By.CSS_SELECTOR,
                                             "#grid tbody td.state"):
            unit = td.find_element(By.XPATH, "..").get_attribute("data-unit")
            cells[(unit, td.get_attribute("data-period"))] = \
                td.get_attribute("data-state")
        for w in WARDS:
            self.assertIn(cells[(w, "2023-12")], ("on_time", "late"))
            want = "missing" if w not in NOVEMBER else ("on_time", "late")
            if w in NOVEMBER:
                self.assertIn(cells[(w, "2023-11")], want)
            else:
                self.assertEqual(cells[(w, "2023-11")], "missing", w)
        self.shot("completeness")
        # The missing list for 2023-11, with the registry's phone numbers.
        self.open("/completeness?unit=HP-HB&period=2023-11")
        missing = {tr.get_attribute("data-unit"): tr.text for tr in
                   self.browser.find_elements(By.CSS_SELECTOR,
                                              "#missing tbody tr")}
        self.assertEqual(sorted(missing), sorted(set(WARDS) - set(NOVEMBER)))
        self.assertIn("0225 3842 111", missing["HP-HB-HVT"])
        foot = self.browser.find_element(By.CSS_SELECTOR, "#grid tfoot").text
        self.assertIn("66,7 %", foot)   # 6 of 9 wards in November
        self.shot("completeness-missing")

    def test_4_csv_export(self):
        """The CSV holds what the page shows."""
        self.open("/?unit=HP-HB&period=2023-12")
        href = self.browser.find_element(By.ID, "csv-figures") \
            .get_attribute("href")
        req = urllib.request.Request(href, headers=self.cookie())
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertIn("text/csv", r.headers["Content-Type"])
            rows = {row["indicator"]: row for row in
                    csv.DictReader(io.StringIO(r.read().decode("utf-8")))}
        self.assertEqual(rows["sdd_u5"]["value"], "7492")
        self.assertEqual(rows["sdd_underweight_rate"]["value"], "8.50")
        self.assertEqual(rows["sdd_u5"]["programme"],
                         "Phòng chống suy dinh dưỡng (SDD)")

    def fetch(self, href):
        req = urllib.request.Request(href, headers=self.cookie())
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.headers, r.read()

    def test_4b_xlsx_export(self):
        """The .xlsx holds the figures, as numbers with Vietnamese formats
        (read with openpyxl)."""
        import openpyxl
        self.open("/?unit=HP-HB&period=2023-12")
        href = self.browser.find_element(By.ID, "xlsx-dashboard") \
            .get_attribute("href")
        headers, body = self.fetch(href)
        self.assertIn("spreadsheetml", headers["Content-Type"])
        self.assertIn(".xlsx", headers["Content-Disposition"])
        wb = openpyxl.load_workbook(io.BytesIO(body))
        self.assertEqual(wb.sheetnames, ["Chỉ tiêu", "Xếp hạng"])
        ws = wb["Chỉ tiêu"]
        self.assertIn("Quận Hồng Bàng", ws["A1"].value)
        self.assertIn("12/2023", ws["A1"].value)
        self.assertEqual(ws["C4"].value, "Tháng 12/2023")
        rows = {r[1].value: r for r in ws.iter_rows(min_row=5)
                if r[1].value}
        u5 = rows["Trẻ dưới 5 tuổi được cân, đo"]
        self.assertEqual(u5[2].value, 7492)            # month
        self.assertEqual(u5[3].value, 12899)           # year to date
        self.assertEqual(u5[8].value, 15000)           # plan
        self.assertEqual(u5[9].value, 86.0)            # % of plan
        self.assertIn("#,##0", u5[2].number_format)
        self.assertIn("[$-42A]", u5[2].number_format)  # Vietnamese
        self.assertEqual(rows["Trẻ dưới 2 tuổi được cân, đo"][2].value, 2855)
        self.assertEqual(rows["Trẻ suy dinh dưỡng các thể"][2].value, 1594)
        rate = rows["Tỷ lệ trẻ dưới 5 tuổi SDD thể nhẹ cân"][2]
        self.assertAlmostEqual(rate.value, 637 / 7492 * 100, places=6)
        self.assertIn('0.00" %"', rate.number_format)  # 8,50 %
        # Programmes are group rows, as in the printed tables.
        self.assertIn("Phòng chống suy dinh dưỡng (SDD)",
                      [r[1].value for r in ws.iter_rows(min_row=5)])
        ranks = wb["Xếp hạng"]
        self.assertEqual(ranks["B4"].value, "Phường Sở Dầu")
        self.assertEqual(ranks["D4"].value, 1257)
        self.assertAlmostEqual(ranks["G4"].value, 16.8)
        # The completeness grid too.
        self.open("/completeness?unit=HP-HB&period=2023-11")
        href = self.browser.find_element(By.ID, "xlsx-grid") \
            .get_attribute("href")
        _, body = self.fetch(href)
        ws = openpyxl.load_workbook(io.BytesIO(body)).active
        states = {r[0].value: r[11].value for r in ws.iter_rows(min_row=4)}
        self.assertEqual(sorted(n for n, st in states.items()
                                if st == "chưa gửi"),
                         sorted(["Phường Hoàng Văn Thụ",
                                 "Phường Phan Bội Châu", "Phường Minh Khai"]))

    # --- bad requests -----------------------------------------------------

    def status_of(self, method, path, headers=None, body=None,
                  session=True):
        """HTTP status of one request, as the logged-in operator unless
        session is False."""
        host, port = self.url.split("//")[1].split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        h = dict(self.cookie() if session else {}, **(headers or {}))
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            self.last_location = r.getheader("Location")
            return r.status
        finally:
            c.close()

    def test_5_bad_requests(self):
        """Malformed requests get a 4xx; the desk keeps serving."""
        bad = [
            ("GET", "/api/dashboard?unit=HP-HB&period=2023-13", None, 400),
            ("GET", "/api/dashboard?unit=NOPE&period=2023-12", None, 404),
            ("GET", "/api/dashboard?unit=HP-HB&period=2023-12"
                    "&indicator=nope", None, 404),
            ("GET", "/api/dashboard?unit=%3Cscript%3E&period=2023-12", None,
             400),
            ("GET", "/api/dashboard?unit=" + "A" * 100 + "&period=2023-12",
             None, 400),
            ("GET", "/api/completeness?unit=HP-HB&period=2023", None, 400),
            ("GET", "/x" * 1000, None, 414),
            ("GET", "/nowhere", None, 404),
            ("POST", "/api/dashboard", {"Content-Type":
             "application/x-www-form-urlencoded"}, 405),
            ("PUT", "/", None, 405),
            ("GET", "/", {"X-Big": "y" * 20000}, 431),
        ]
        for method, path, headers, want in bad:
            got = self.status_of(method, path, headers,
                                 b"hello" if method == "POST" else None)
            self.assertEqual(got, want, f"{method} {path[:60]}")
        # A client that opens a socket and sends garbage.
        host, port = self.url.split("//")[1].split(":")
        # It may answer 400 or just wait for more: either way it must not
        # stop serving the others.
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.sendall(b"\x00\xff garbage \r\n\r\n")
            try:
                s.recv(1024)
            except socket.timeout:
                pass
        self.assertEqual(self.status_of(
            "GET", "/api/dashboard?unit=HP-HB&period=2023-12"), 200)
        self.assertIsNone(self.web.poll(), "the desk died")

    def test_5b_answer_headers(self):
        """Every answer of the desk and of the station's form, a page or
        an error, can be neither framed, sniffed nor cached."""
        def headers_of(url):
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    return r.headers
            except urllib.error.HTTPError as e:
                return e.headers
        for url, img in [(self.url + "/login", True),
                         (self.url + "/nowhere", True),
                         (self.form_url + "/", False),
                         (self.form_url + "/api/nowhere", False)]:
            h = headers_of(url)
            self.assertEqual(h["X-Content-Type-Options"], "nosniff", url)
            self.assertEqual(h["X-Frame-Options"], "DENY", url)
            self.assertEqual(h["Referrer-Policy"], "same-origin", url)
            self.assertEqual(h["Cache-Control"], "no-store", url)
            csp = h["Content-Security-Policy"]
            self.assertIn("default-src 'self'", csp, url)
            self.assertIn("frame-ancestors 'none'", csp, url)
            self.assertEqual("img-src 'self' data:" in csp, img, url)

    def test_6_login(self):
        """Pages need a login; cookies are HttpOnly and SameSite=Strict;
        changing forms need the session's CSRF token."""
        c = self.browser.get_cookie("bc_session")
        self.assertTrue(c["httpOnly"])
        self.assertEqual(c["sameSite"], "Strict")
        self.assertEqual(self.browser.execute_script(
            "return document.cookie"), "")     # no script can read it
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        # Without a session: pages go to the login page, data is 401.
        self.assertEqual(self.status_of(
            "GET", "/?unit=HP-HB&period=2023-12", session=False), 303)
        self.assertTrue(self.last_location.startswith("/login?next=/"))
        for path in ("/api/dashboard?unit=HP-HB&period=2023-12",
                     "/api/completeness?unit=HP-HB&period=2023-12",
                     "/export/dashboard.csv?unit=HP-HB&period=2023-12"):
            self.assertEqual(self.status_of("GET", path, session=False), 401)
        # A forged or stolen-looking token is no session.
        self.assertEqual(self.status_of(
            "GET", "/api/dashboard?unit=HP-HB&period=2023-12",
            {"Cookie": "bc_session=" + "0" * 64}, session=False), 401)
        # Logout without the CSRF token, with a wrong one, or from another
        # site: refused, the session lives on.
        self.assertEqual(self.status_of("POST", "/logout", form, b""), 403)
        self.assertEqual(self.status_of("POST", "/logout", form,
                                        b"csrf=" + b"a" * 64), 403)
        self.assertEqual(self.status_of(
            "POST", "/logout", dict(form, Origin="http://evil.example"),
            b"csrf=x"), 403)
        # Bodies: too large, wrong type, a field over its size.
        self.assertEqual(self.status_of("POST", "/login", form,
                                        b"name=" + b"a" * 5000), 413)
        self.assertEqual(self.status_of("POST", "/login",
                                        {"Content-Type": "text/plain"},
                                        b"name=admin"), 415)
        self.assertEqual(self.status_of("POST", "/login", form,
                                        b"name=" + b"a" * 100), 400)
        self.assertEqual(self.status_of(
            "GET", "/api/dashboard?unit=HP-HB&period=2023-12"), 200)
        # A wrong password, in the browser: the page says so.
        other = chromium(os.path.join(self.dir, "chromium-other"))
        try:
            self.login(other, self.url, "admin", "wrong password")
            self.assertIn("failed=1", other.current_url)
            self.assertIn("Sai", other.find_element(By.ID, "status").text)
            self.login(other, self.url, "nobody", PASSWORD)
            self.assertIn("failed=1", other.current_url)
            # The right one, sent back to the page first asked for.
            other.delete_all_cookies()
            other.get(self.url + "/completeness?unit=HP-HB&period=2023-11")
            self.assertIn("/login", other.current_url)
            other.find_element(By.ID, "name").send_keys("admin")
            other.find_element(By.ID, "password").send_keys(PASSWORD)
            other.find_element(By.ID, "submit").click()
            WebDriverWait(other, 20).until(
                EC.url_contains("/completeness?unit=HP-HB&period=2023-11"))
            WebDriverWait(other, 20).until(
                EC.visibility_of_element_located((By.ID, "logout")))
            self.assertEqual(other.find_element(By.ID, "who").text, "admin")
            # Logging out with the page's own form (it carries the token).
            other.find_element(By.CSS_SELECTOR, "#logout button").click()
            WebDriverWait(other, 20).until(EC.url_contains("/login"))
            other.get(self.url + "/api/dashboard?unit=HP-HB&period=2023-12")
            self.assertIn("log in first", other.page_source)
        finally:
            other.quit()
        # The first browser's session was not touched by the other's.
        self.assertEqual(self.status_of(
            "GET", "/api/dashboard?unit=HP-HB&period=2023-12"), 200)

    def test_7_station_form(self):
        """The station's form refuses a bad figure before filing, and files
        a good report that the dashboard then shows."""
        b = self.browser
        b.get(self.form_url + "/")
        WebDriverWait(b, 20).until(
            EC.presence_of_element_located((By.ID, "f-sdd_u5")))
        self.assertEqual(b.find_element(By.ID, "unit").text, "HP-HB-QT")
        # Grouped by programme; rates have no field.
        legends = [e.text for e in b.find_elements(By.TAG_NAME, "legend")]
        self.assertIn("Phòng chống suy dinh dưỡng (SDD)", legends)
        self.assertEqual(b.find_elements(By.ID, "f-sdd_underweight_rate"), [])
        period = b.find_element(By.ID, "period")
        period.clear()
        period.send_keys("2024-01")
        b.find_element(By.ID, "f-sdd_u5").send_keys("12,5")
        b.find_element(By.ID, "f-sdd_u2").send_keys("-3")
        b.find_element(By.ID, "file").click()
        WebDriverWait(b, 10).until(lambda d: d.find_element(
            By.ID, "err-sdd_u5").text != "")
        self.assertIn("số nguyên", b.find_element(By.ID, "err-sdd_u5").text)
        self.assertIn("âm", b.find_element(By.ID, "err-sdd_u2").text)
        self.assertIn("chưa lưu", b.find_element(By.ID, "status").text)
        self.shot("station-form-errors")
        # The node checks too, whatever the page does: same answer, by
        # field, and nothing is filed.
        host, port = self.form_url.split("//")[1].split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("POST", "/api/file", body="period=2024-01&sdd_u5=12.5"
                  "&sdd_u2=abc&sdd_malnourished=-1",
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded",
                           "X-Baocao-Form": "1"})
        r = c.getresponse()
        import json
        doc = json.loads(r.read())
        self.assertEqual(r.status, 400)
        self.assertEqual(sorted(doc["errors"]),
                         ["sdd_malnourished", "sdd_u2", "sdd_u5"])
        # Without the page's header (another site's form): refused.
        c.request("POST", "/api/file", body="period=2024-01&sdd_u5=1",
                  headers={"Content-Type":
                           "application/x-www-form-urlencoded"})
        self.assertEqual(c.getresponse().status, 403)
        c.close()
        with urllib.request.urlopen(self.form_url + "/api/reports") as r:
            filed = json.loads(r.read())["reports"]
        self.assertNotIn("2024-01", [x["period"] for x in filed])
        # Corrected: filed, delivered by the node, shown by the desk.
        for code, value in (("f-sdd_u5", "321"), ("f-sdd_u2", "120")):
            box = b.find_element(By.ID, code)
            box.clear()
            box.send_keys(value)
        b.find_element(By.ID, "file").click()
        WebDriverWait(b, 10).until(lambda d: "Đã lưu" in d.find_element(
            By.ID, "status").text)
        WebDriverWait(b, 30).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, 'tr[data-period="2024-01"]'
            '[data-state="delivered"]'))
        self.shot("station-form")
        self.open("/?unit=HP-HB-QT&period=2024-01")
        self.assertEqual(self.cell("sdd_u5", "value"), "321")
        self.assertEqual(self.cell("sdd_u2", "value"), "120")

    def test_8_form_catalogue_from_hub(self):
        """A node without a catalogue takes the hub's, keeps it, and its
        form waits (503) while the hub cannot be reached."""
        import json
        store = os.path.join(self.dir, "node-HP-HB-HV")
        # The link down: a hub endpoint where nothing listens.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = "tcp://127.0.0.1:%d" % s.getsockname()[1]
        down_file = os.path.join(self.dir, "form-down.url")
        self.spawn(["baocao-node", "--store", os.path.join(self.dir,
                                                           "node-down"),
                    "--unit", "HP-HB-HV", "--hub", dead, "--plain",
                    "--form", "127.0.0.1:0", "--form-url-file", down_file],
                   "node-down")
        down = wait_file(down_file).rstrip("/")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(down + "/api/form", timeout=10)
        self.assertEqual(cm.exception.code, 503)
        self.assertIn("danh mục", json.loads(cm.exception.read())["error"])
        # Connected: the catalogue arrives, is kept beside the outbox.
        up_file = os.path.join(self.dir, "form-up.url")
        self.spawn(["baocao-node", "--store", store, "--unit", "HP-HB-HV",
                    "--hub", self.hub, "--plain", "--form", "127.0.0.1:0",
                    "--form-url-file", up_file], "node-up")
        up = wait_file(up_file).rstrip("/")
        doc = None
        end = time.time() + 20
        while time.time() < end:
            try:
                with urllib.request.urlopen(up + "/api/form",
                                            timeout=10) as r:
                    doc = json.loads(r.read())
                    break
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 503)
                time.sleep(0.3)
        self.assertIsNotNone(doc, "the hub's catalogue never arrived")
        codes = [i["code"] for g in doc["programmes"]
                 for i in g["indicators"]]
        self.assertIn("sdd_u5", codes)
        self.assertNotIn("sdd_underweight_rate", codes)
        self.assertIn("Phòng chống suy dinh dưỡng (SDD)",
                      [g["name"] for g in doc["programmes"]])
        with open(os.path.join(store, "catalog.csv"), encoding="utf-8") as f:
            kept = list(csv.DictReader(f))
        with open(os.path.join(SRC, "data", "indicators.csv"),
                  encoding="utf-8") as f:
            shipped = list(csv.DictReader(f))
        self.assertEqual([(r["code"], r["name"], r["kind"], r["programme"])
                          for r in kept],
                         [(r["code"], r["name"], r["kind"], r["programme"])
                          for r in shipped])

    def test_9_enrolment_page(self):
        """An operator approves a station's key by its fingerprint: the key
        goes into the registry, the hub is told, a wrong one changes
        nothing."""
        import hashlib
        fp = hashlib.sha256(self.station_key.encode()).hexdigest()[:16]
        fp = "-".join(fp[i:i + 4] for i in range(0, 16, 4)).upper()
        b = self.browser
        b.get(self.url + "/enrol")
        WebDriverWait(b, 20).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f'#pending tr[data-fingerprint="{fp}"]')))
        row = b.find_element(By.CSS_SELECTOR,
                             f'#pending tr[data-fingerprint="{fp}"]')
        self.assertEqual(row.get_attribute("data-approved"), "0")
        self.assertIn("192.0.2.7", row.text)
        # The page never shows the key itself.
        self.assertNotIn(self.station_key, b.page_source)
        # A wrong fingerprint: refused, the registry untouched.
        b.find_element(By.ID, "enrol-unit").send_keys("HP-HB-MK")
        b.find_element(By.ID, "enrol-fp").send_keys("0000-0000-0000-0000")
        b.find_element(By.ID, "enrol-submit").click()
        WebDriverWait(b, 10).until(lambda d: "Chưa duyệt" in d.find_element(
            By.ID, "status").text)
        with open(self.units, encoding="utf-8") as f:
            self.assertNotIn(self.station_key, f.read())
        # Without the CSRF token, from a script: refused.
        self.assertEqual(self.status_of(
            "POST", "/api/enroll",
            {"Content-Type": "application/x-www-form-urlencoded"},
            f"unit=HP-HB-MK&fingerprint={fp}".encode()), 403)
        # The fingerprint as read out: approved.
        box = b.find_element(By.ID, "enrol-fp")
        box.clear()
        box.send_keys(fp.lower().replace("-", " "))
        b.find_element(By.ID, "enrol-submit").click()
        WebDriverWait(b, 10).until(lambda d: "Đã duyệt" in d.find_element(
            By.ID, "status").text)
        self.assertIn("nạp lại", b.find_element(By.ID, "status").text)
        with open(self.units, encoding="utf-8") as f:
            rows = {r["code"]: r for r in csv.DictReader(f)}
        self.assertEqual(rows["HP-HB-MK"]["key"], self.station_key)
        self.assertEqual(rows["HP-HB-HVT"]["phone"], "0225 3842 111")
        WebDriverWait(b, 10).until(lambda d: d.find_element(
            By.CSS_SELECTOR, f'#pending tr[data-fingerprint="{fp}"]'
        ).get_attribute("data-approved") == "1")
        self.shot("enrolment")
        # The hub took the SIGHUP and serves on (plain mode: nothing to
        # reload, it says so in its log).
        self.assertIsNone(self.progs.procs[0].poll())
        self.assertEqual(self.status_of(
            "GET", "/api/dashboard?unit=HP-HB&period=2023-12"), 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
