"""Open built pages in headless Chromium, take screenshots, and check what a reader sees.

    python scripts/check_pages.py [PAGE ...]    (default: the summary, derivations and report pages)

For each page: a screenshot under _build/screenshots/; the DOM after scripts ran
(MathJax included) must have a table, rendered maths and figures where they are
expected, no unrendered maths (TeX left in a math element), and every <img> must
point at a readable image file.
Exits non-zero on the first failed check. Uses Debian's chromium (SPEC §7 flags).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"

#: page -> (must have a table, must have rendered maths, must have figures)
PAGES = {
    "book/summary.html": (True, False, False),
    "notebooks/derivations.html": (False, True, True),
    "book/report.html": (True, False, False),
    "notebooks/shallow_acrbm.html": (True, True, True),
    "notebooks/ae_acrbm.html": (True, True, True),
    "notebooks/loc.html": (True, True, True),
}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--virtual-time-budget=8000", "--hide-scrollbars"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("check failed: no chromium on PATH (apt-get install chromium)")


def run(args: list[str], profile_dir: str) -> str:
    out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile_dir}", *args],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"check failed: chromium exited {out.returncode}: {out.stderr[-2000:]}")
    return out.stdout


def check_page(rel: str, want_table: bool, want_math: bool, want_images: bool) -> list[str]:
    page = HTML / rel
    if not page.exists():
        return [f"{rel}: page not built"]
    problems = []
    url = page.as_uri()
    shot = SHOTS / (rel.replace("/", "_").removesuffix(".html") + ".png")
    with tempfile.TemporaryDirectory() as profile_dir:
        run([f"--screenshot={shot}", "--window-size=1280,2400", url], profile_dir)
    with tempfile.TemporaryDirectory() as profile_dir:
        dom = BeautifulSoup(run(["--dump-dom", url], profile_dir), "html.parser")
    main = dom.find("main") or dom
    if want_table and not main.find("table"):
        problems.append(f"{rel}: no table")
    math = main.select(".math")
    raw = [m.get_text()[:60] for m in math if not m.find("mjx-container")]
    if raw:
        problems.append(f"{rel}: {len(raw)} unrendered equation(s), e.g. {raw[0]!r}")
    if want_math and not main.find("mjx-container"):
        problems.append(f"{rel}: no rendered equation")
    if want_images and not main.find_all("img"):
        problems.append(f"{rel}: no figure")
    for img in main.find_all("img"):
        src = img.get("src", "")
        if src.startswith("data:"):
            continue
        target = (page.parent / src.split("#")[0].split("?")[0]).resolve()
        try:
            with Image.open(target) as im:
                im.verify()
        except Exception as err:  # missing or unreadable image
            problems.append(f"{rel}: image {src} does not load ({err.__class__.__name__})")
    if not shot.exists() or shot.stat().st_size == 0:
        problems.append(f"{rel}: no screenshot")
    print(f"{rel}: {len(main.find_all('table'))} tables, {len(main.find_all('mjx-container'))} equations, "
          f"{len(main.find_all('img'))} images, screenshot {shot.relative_to(ROOT)}")
    return problems


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = sys.argv[1:] or list(PAGES)
    problems = []
    for rel in pages:
        problems += check_page(rel, *PAGES.get(rel, (False, False, False)))
    if problems:
        raise SystemExit("browser check failed:\n  " + "\n  ".join(problems))
    print("browser check passed")


if __name__ == "__main__":
    main()
