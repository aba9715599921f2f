"""docs/EXTENDING.md is executed here, block by block, so the guide cannot rot.

Every fenced block carries an info string that says what to do with it:

- ```python file=PATH``` (or toml, text...): written to PATH inside the reader's package
  folder (`$PLUGIN`, a temporary directory here), which is on PYTHONPATH.
- ```python run```: executed in this process, with every file block importable.
- ```python test file=tests/test_x.py```: written like a file block, then run by pytest with
  the suite's own fixtures (the guide's tests/conftest.py imports them: `engine`/`session` on
  SQLite and PostgreSQL),
  all such blocks in one pytest process; each must pass, and one that uses the database must
  have run on both databases.
- ```bash```: run with bash from the repository root, `$PLUGIN` set; must exit 0.
- ```LANG skip: REASON```: not executed, and the reason is required. Kept rare.

Anything else fails `test_every_block_is_understood`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "EXTENDING.md"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
KINDS = ("file", "run", "test", "bash", "skip")
# Fixtures that put a test on both databases (tests/conftest.py): such a test must run twice.
DB_FIXTURES = re.compile(r"\b(engine|db|session)\b")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, for messages and test ids
    lang: str
    info: str
    code: str

    @property
    def kind(self) -> str:
        if self.info.startswith("skip:"):
            return "skip"
        if self.lang == "bash" and not self.info:
            return "bash"
        if self.lang == "python" and self.info == "run":
            return "run"
        if self.lang == "python" and self.info.startswith("test file="):
            return "test"
        if self.info.startswith("file="):
            return "file"
        return "unknown"

    @property
    def path(self) -> str:
        return self.info.split("file=", 1)[1].strip()

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.kind}"


def parse(text: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        header = match.group(1).strip()
        lang, _, info = header.partition(" ")
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, lang, info.strip(), match.group(2)))
    return blocks


BLOCKS = parse(GUIDE.read_text(encoding="utf-8"))


def of_kind(kind: str) -> list[Block]:
    return [b for b in BLOCKS if b.kind == kind]


def env_for(plugin: Path) -> dict[str, str]:
    path = os.pathsep.join([str(REPO), str(plugin)])
    return {**os.environ, "PYTHONPATH": path, "PLUGIN": str(plugin), "SECRET_KEY": "guide-secret"}


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reader's package folder: every file and test block written where it says."""
    root = tmp_path_factory.mktemp("plugin")
    for block in of_kind("file") + of_kind("test"):
        target = (root / block.path).resolve()
        assert target.is_relative_to(root), block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")
    sys.path.insert(0, str(root))
    before = set(sys.modules)
    yield root
    sys.path.remove(str(root))
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        if str(getattr(module, "__file__", "") or "").startswith(str(root)):
            del sys.modules[name]


def test_every_block_is_understood() -> None:
    assert BLOCKS, "no fenced block found"
    unknown = [(b.line, b.lang, b.info) for b in BLOCKS if b.kind == "unknown"]
    assert not unknown, f"blocks without a known info string: {unknown}"
    for block in of_kind("skip"):
        assert len(block.info.removeprefix("skip:").strip()) >= 10, f"line {block.line}: reason?"
    skipped = len(of_kind("skip"))
    assert skipped <= 3, f"{skipped} blocks are not executed: keep such blocks rare"
    paths = [b.path for b in of_kind("file") + of_kind("test")]
    assert len(paths) == len(set(paths)), "two blocks write the same file"


def test_the_files_are_ruff_clean(plugin: Path) -> None:
    """Readers copy these files: they meet the project's own lint and format rules (import
    order aside: the reader's package is first-party in their project, not in this one)."""
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(REPO / "pyproject.toml")]
    for args in (["check", "--ignore", "I001"], ["format", "--check"]):
        proc = subprocess.run([*ruff, *args, *config, str(plugin)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("block", of_kind("run"), ids=lambda b: b.id)
def test_run_block(block: Block, plugin: Path) -> None:
    code = compile(block.code, f"{GUIDE}:{block.line}", "exec")
    exec(code, {"__name__": f"guide_block_{block.line}"})  # noqa: S102 - the guide's own code


@pytest.mark.timeout(600)
def test_test_blocks_pass_on_both_databases(plugin: Path, tmp_path: Path) -> None:
    blocks = of_kind("test")
    assert blocks
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"--junitxml={report}"]
        + [str(plugin / b.path) for b in blocks],
        cwd=REPO,
        env=env_for(plugin),
        capture_output=True,
        text=True,
        timeout=590,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    cases = ET.parse(report).getroot().iter("testcase")
    passed: dict[str, list[str]] = {}
    for case in cases:
        if all(case.find(bad) is None for bad in ("failure", "error", "skipped")):
            file = case.get("classname", "").rsplit(".", 1)[-1]
            passed.setdefault(file, []).append(case.get("name", ""))
    for block in blocks:
        module = Path(block.path).stem
        names = passed.get(module, [])
        assert names, f"line {block.line}: no test of {block.path} passed"
        for name in re.findall(r"^def (test_\w+)\((.*?)\)", block.code, re.M | re.S):
            ran = [n for n in names if n.split("[")[0] == name[0]]
            assert ran, f"line {block.line}: {name[0]} did not pass"
            if DB_FIXTURES.search(name[1]) and "indirect=True" not in block.code:
                ids = " ".join(ran)
                assert "sqlite" in ids and "postgresql" in ids, f"{name[0]} ran as {ran}"


@pytest.mark.parametrize("block", of_kind("bash"), ids=lambda b: b.id)
def test_bash_block(block: Block, plugin: Path) -> None:
    env = env_for(plugin)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    bash = shutil.which("bash")
    assert bash
    proc = subprocess.run(
        [bash, "-euo", "pipefail", "-c", block.code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"line {block.line}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def test_readme_links_the_guide() -> None:
    assert "(docs/EXTENDING.md)" in (REPO / "README.md").read_text(encoding="utf-8")
