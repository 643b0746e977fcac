"""The plugin guide's example (docs/writing-a-metric-plugin.md, the copy this test runs) installs, registers and
scores images; README.md shows the same code, checked to be identical."""

import re
from pathlib import Path

from iqabench.testing import check_metric, install_entry_point

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- plugin-example:start -->", "<!-- plugin-example:end -->"


def example_source(path: Path = ROOT / "docs" / "writing-a-metric-plugin.md") -> str:
    """The python block between the markers of ``path``."""
    text = path.read_text()
    assert START in text and END in text, f"{path} has no {START} … {END} block"
    block = text.split(START, 1)[1].split(END, 1)[0]
    match = re.fullmatch(r"\s*```python\n(.*?)```\s*", block, re.DOTALL)
    assert match, f"the text between {START} and {END} must be one ```python block"
    return match.group(1)


def test_plugin_example_registers_a_metric_that_scores_images(tmp_path, iqabench_plugin_manager, sample_images):
    install_entry_point(tmp_path, "iqabench", "mymetric", example_source())
    registry = iqabench_plugin_manager(discover=True).registry
    errors = {broken.name: broken.error for broken in registry.broken}
    assert "mymetric" not in errors, errors.get("mymetric")
    metrics = [name for (kind, name), plugin in registry.owners.items() if (kind, plugin) == ("metric", "mymetric")]
    assert metrics, "the example registered no metric"
    for name in metrics:
        check_metric(registry.metric(name), sample_images)


def test_the_readme_shows_the_guide_example_unchanged():
    assert example_source(ROOT / "README.md") == example_source()
