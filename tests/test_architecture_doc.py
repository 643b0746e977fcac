"""docs/architecture.md names every module of the core and every package of the built-in plugins."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_architecture_page_names_every_core_module_and_plugin():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "iqabench").rglob("*.py"))
    plugins = sorted(path.name for path in (ROOT / "plugins").iterdir() if (path / "__init__.py").is_file())
    unnamed = [name for name in modules + plugins if f"`{name}`" not in page and f"{name}/" not in page]
    assert not unnamed, f"docs/architecture.md does not name: {unnamed}"
