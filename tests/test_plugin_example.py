"""The plugin example of the docs (README.md once it holds it) installs, registers and scores images."""

import re
from pathlib import Path

from iqabench.testing import check_metric, install_entry_point

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- plugin-example:start -->", "<!-- plugin-example:end -->"


def example_source() -> str:
    """The python block between the markers, from README.md if it has them, else from the docs."""
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    if START not in text:
        text = (ROOT / "docs" / "writing-a-metric-plugin.md").read_text()
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
