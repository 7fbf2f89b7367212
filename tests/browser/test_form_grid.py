#!/usr/bin/python3
"""test_form_grid.py -- the station form's grids (issue 17, item 4) in a
real browser.

Starts a hub with the shipped breakdown catalogue and categories
(data/indicators-breakdowns.csv, data/categories.csv) and one ward node
with its form, on loopback with real LMDB stores in a temporary folder,
then drives Debian's headless Chromium (chromium-driver, python3-selenium):
dengue cases by sex and age typed cell by cell, the sums by row and column
and the total seen as they are typed, a negative cell refused with its
options named, a typed total that the cells do not add up to refused by
the node, then the corrected report filed, delivered, and read back from
the hub by combination with `baocao query --by sex,age`. Screenshots go to
$BC_SCREENSHOT_DIR (the build folder's screenshots/): the whole page
(form-grid-errors.png, form-grid.png) and its first programme's grids
(form-grid-errors-detail.png, form-grid-detail.png).

Environment (set by ctest): BC_BIN_DIR, BC_SOURCE_DIR, BC_SCREENSHOT_DIR.
"""
import csv
import io
import os
import subprocess
import time
import unittest

from bc_browser import BIN, SHOTS, SRC, Programs, chromium, page_shot, \
    wait_file
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

SEX = ["nam", "nu"]
AGE = ["0-4", "5-14", "15-49", "50+"]
PERIOD = "2025-05"


def dengue(s, a):
    """Cases for sex s, age a: all different, so a misplaced cell shows."""
    return 2 + s * 10 + a * 3


def cell(s, a):
    """The cell's field, as the node names it (the combination's code)."""
    return f"sxh_cases[age={AGE[a]},sex={SEX[s]}]"


class FormGrid(unittest.TestCase):
    """One hub, one node with its form, one browser for the class."""

    @classmethod
    def setUpClass(cls):
        cls.progs = Programs("baocao-grid-")
        cls.dir = cls.progs.dir
        cls.browser = None
        try:
            cls.start()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def start(cls):
        ep_file = os.path.join(cls.dir, "hub.endpoint")
        cls.progs.spawn(
            ["baocao-hub", "--store", os.path.join(cls.dir, "hub"),
             "--registry", os.path.join(SRC, "data", "units.csv"),
             "--catalog",
             os.path.join(SRC, "data", "indicators-breakdowns.csv"),
             "--categories", os.path.join(SRC, "data", "categories.csv"),
             "--bind", "tcp://127.0.0.1:*", "--endpoint-file", ep_file,
             "--plain", "--log-level", "warn"], "hub")
        cls.hub = wait_file(ep_file, 20)
        cls.store = os.path.join(cls.dir, "node")
        form_file = os.path.join(cls.dir, "form.url")
        cls.progs.spawn(
            ["baocao-node", "--store", cls.store, "--unit", "HP-HB-QT",
             "--hub", cls.hub, "--plain", "--poll", "100", "--form",
             "127.0.0.1:0", "--form-url-file", form_file], "node")
        cls.form_url = wait_file(form_file, 20).rstrip("/")
        # The grids come from the node's copy of the hub's catalogue.
        copy = os.path.join(cls.store, "hub-copy.pb")
        end = time.time() + 30
        while not os.path.exists(copy):
            if time.time() > end:
                raise AssertionError("the node never fetched its copy")
            time.sleep(0.05)
        os.makedirs(SHOTS, exist_ok=True)
        cls.browser = chromium(os.path.join(cls.dir, "chromium"))

    @classmethod
    def stop_all(cls):
        if cls.browser:
            cls.browser.quit()
            cls.browser = None
        return cls.progs.stop()

    @classmethod
    def tearDownClass(cls):
        # Each stops cleanly on SIGTERM (and ASan finds no leak).
        codes = cls.stop_all()
        assert codes == [0] * len(codes), f"exit codes {codes} (hub, node)"

    # --- helpers ----------------------------------------------------------

    def shot(self, name):
        """The whole page, not just the window."""
        return page_shot(self.browser, name)

    def shot_grids(self, name):
        """The first programme's fieldset alone (the grids, readable)."""
        path = os.path.join(SHOTS, name + ".png")
        self.browser.find_element(By.CSS_SELECTOR,
                                  "fieldset.programme").screenshot(path)
        return path

    def box(self, name):
        return self.browser.find_element(
            By.CSS_SELECTOR, f'input[name="{name}"]')

    def type_in(self, name, value):
        b = self.box(name)
        b.clear()
        b.send_keys(value)

    def text(self, css):
        return self.browser.find_element(By.CSS_SELECTOR, css).text

    def hub_rows(self, period):
        """sxh_cases by sex and age at the hub, {(sex, age): value}."""
        r = subprocess.run(
            [os.path.join(BIN, "baocao"), "query", "--hub", self.hub,
             "--plain", "--unit", "HP-HB-QT", "--period", period,
             "--indicator", "sxh_cases", "--by", "sex,age", "--format",
             "csv"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        return {(x["sex"], x["age"]): x["value"] for x in rows
                if x.get("sex") and x.get("age")}, rows

    # --- the page ---------------------------------------------------------

    def test_grid(self):
        b = self.browser
        b.get(self.form_url + "/")
        WebDriverWait(b, 30).until(
            EC.presence_of_element_located((By.ID, "grid-sxh_cases")))
        # Rows by sex, columns by age, in Vietnamese; a totals-only
        # indicator keeps its single field; a single category is one row.
        heads = [e.text for e in b.find_elements(
            By.CSS_SELECTOR, "#grid-sxh_cases thead th")]
        self.assertEqual(heads, ["", "Dưới 5 tuổi", "Từ 5 đến 14 tuổi",
                                 "Từ 15 đến 49 tuổi", "Từ 50 tuổi trở lên",
                                 "Cộng"])
        rows = [e.text for e in b.find_elements(
            By.CSS_SELECTOR, "#grid-sxh_cases tbody th")]
        self.assertEqual(rows, ["Nam", "Nữ"])
        self.assertEqual(len(b.find_elements(
            By.CSS_SELECTOR, "#grid-tcm_cases tbody tr")), 1)
        self.assertEqual(b.find_elements(By.ID, "grid-soi_cases"), [])
        self.assertTrue(b.find_elements(By.ID, "f-soi_cases"))
        period = b.find_element(By.ID, "period")
        period.clear()
        period.send_keys(PERIOD)

        # The total follows the cells as they are typed.
        total = b.find_element(By.ID, "f-sxh_cases")
        self.type_in(cell(0, 0), "2")
        self.assertEqual(total.get_attribute("value"), "2")
        self.type_in(cell(0, 1), "5")
        self.assertEqual(total.get_attribute("value"), "7")
        self.assertIn("computed", total.get_attribute("class"))
        self.assertIn("Tổng tự tính", self.text("#sum-sxh_cases"))
        want = 0
        for s in range(2):
            for a in range(4):
                self.type_in(cell(s, a), str(dengue(s, a)))
                want += dengue(s, a)
        self.assertEqual(total.get_attribute("value"), str(want))
        # Sums by row (Nam, Nữ) and by column.
        sums = [e.text for e in b.find_elements(
            By.CSS_SELECTOR, "#grid-sxh_cases tbody td.sum")]
        self.assertEqual(sums, [str(sum(dengue(s, a) for a in range(4)))
                                for s in range(2)])
        cols = [e.text for e in b.find_elements(
            By.CSS_SELECTOR, "#grid-sxh_cases tfoot td.sum")]
        self.assertEqual(cols, [str(dengue(0, a) + dengue(1, a))
                                for a in range(4)])

        # Hand, foot and mouth: the total typed first, then cells that
        # come to 2 fewer; the page says so as they are typed.
        self.type_in("tcm_cases", "30")
        for a, v in enumerate((4, 6, 8, 10)):
            self.type_in(f"tcm_cases[age={AGE[a]}]", str(v))
        self.assertEqual(b.find_element(By.ID, "f-tcm_cases")
                         .get_attribute("value"), "30")
        self.assertIn("khác tổng đã nhập 30", self.text("#sum-tcm_cases"))
        self.type_in("soi_cases", "5")

        # A negative cell: refused, the cell named, nothing filed.
        self.type_in(cell(1, 0), "-3")
        self.assertEqual(total.get_attribute("value"), "")
        b.find_element(By.ID, "file").click()
        WebDriverWait(b, 10).until(
            lambda d: d.find_element(By.ID, "err-sxh_cases").text != "")
        err = self.text("#err-sxh_cases")
        self.assertIn("Nữ, Dưới 5 tuổi", err)
        self.assertIn("âm", err)
        self.assertIn("invalid", self.box(cell(1, 0)).get_attribute("class"))
        self.assertIn("chưa lưu", self.text("#status"))
        # Corrected: the node refuses tcm_cases' typed total (28 in the
        # cells), next to the grid, with the difference.
        self.type_in(cell(1, 0), str(dengue(1, 0)))
        self.assertEqual(total.get_attribute("value"), str(want))
        b.find_element(By.ID, "file").click()
        WebDriverWait(b, 10).until(
            lambda d: "chênh lệch 2" in d.find_element(
                By.ID, "err-tcm_cases").text)
        self.assertEqual(self.text("#err-sxh_cases"), "")
        self.shot("form-grid-errors")
        self.shot_grids("form-grid-errors-detail")

        # The total cleared: computed from the cells again (28).
        self.box("tcm_cases").send_keys(Keys.CONTROL, "a")
        self.box("tcm_cases").send_keys(Keys.BACK_SPACE)
        self.assertEqual(b.find_element(By.ID, "f-tcm_cases")
                         .get_attribute("value"), "28")
        self.shot("form-grid")
        self.shot_grids("form-grid-detail")
        b.find_element(By.ID, "file").click()
        WebDriverWait(b, 10).until(
            lambda d: "Đã lưu" in d.find_element(By.ID, "status").text)
        # 8 + 4 cells and soi_cases; the computed totals are the hub's.
        self.assertIn("13 số liệu", self.text("#status"))
        WebDriverWait(b, 30).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'tr[data-period="{PERIOD}"]'
            '[data-state="delivered"]'))

        # At the hub, by combination, exactly the cells typed.
        got, raw = self.hub_rows(PERIOD)
        self.assertEqual(got, {(SEX[s], AGE[a]): str(dengue(s, a))
                               for s in range(2) for a in range(4)}, raw)

    def test_kept_catalogue(self):
        """The catalogue the form took from the hub is kept beside the
        outbox as an indicators file like the one the hub was started
        with, breakdowns included, so that the next start needs no link."""
        kept_path = os.path.join(self.store, "catalog.csv")
        end = time.time() + 30
        while not os.path.exists(kept_path):
            self.assertLess(time.time(), end, "no catalog.csv was kept")
            time.sleep(0.05)
        with open(kept_path, encoding="utf-8") as f:
            kept = list(csv.DictReader(f))
        with open(os.path.join(SRC, "data", "indicators-breakdowns.csv"),
                  encoding="utf-8") as f:
            shipped = list(csv.DictReader(f))
        cols = ["code", "name", "kind", "numerator", "denominator",
                "programme", "categories"]
        self.assertEqual([[r[c] for c in cols] for r in kept],
                         [[r[c] for c in cols] for r in shipped])
        self.assertEqual({r["code"]: r["categories"] for r in kept}
                         ["sxh_cases"], "sex;age")


if __name__ == "__main__":
    unittest.main(verbosity=2)
