"""Write every ```python block of the READMEs to a folder, one module each, for `mypy --strict` (CI runs it)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for readme in (ROOT / "README.md", ROOT / "components" / "README.md"):
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)):
            (out / f"{readme.parent.name.replace('-', '_')}_snippet_{i}.py").write_text(block)
            count += 1
    print(f"{count} snippets in {out}")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
