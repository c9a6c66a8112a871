#!/usr/bin/env python3
"""Copy the front-end packages installed by npm into static/vendor/.

NHS.UK frontend's stylesheet points at /assets/ and at web fonts on another
host; our Content Security Policy allows only this site, so the URLs are made
relative and the remote fonts dropped (the stylesheet falls back to Arial).
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"


def main() -> int:
    nhsuk = NODE / "nhsuk-frontend" / "dist" / "nhsuk"
    plotly = NODE / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
    missing = [str(p) for p in (nhsuk, plotly) if not p.exists()]
    if missing:
        print("Front-end packages are missing (run npm ci):", ", ".join(missing), file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    (VENDOR / "nhsuk").mkdir(parents=True)
    css = (nhsuk / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("url(/assets/", "url(assets/")
    # Its source map is not shipped: a reference to it fails collectstatic's manifest storage (production).
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)
    (VENDOR / "nhsuk" / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    for name in ("nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map"):
        if (nhsuk / name).exists():  # the stylesheet's source map is not shipped, the script's is
            shutil.copy2(nhsuk / name, VENDOR / "nhsuk" / name)
    shutil.copytree(nhsuk / "assets", VENDOR / "nhsuk" / "assets")
    (VENDOR / "plotly").mkdir()
    shutil.copy2(plotly, VENDOR / "plotly" / "plotly.min.js")
    print(f"Front-end assets copied to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
