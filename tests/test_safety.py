"""No pickles: the package source never loads untrusted data through pickle."""
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sadvae"


def test_no_unsafe_loads_in_package_source():
    offenders = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"allow_pickle\s*=\s*True|pickle\.load|torch\.load\((?!.*weights_only=True)", code):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_every_np_load_refuses_pickles():
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "np.load(" in line.split("#")[0]:
                assert "allow_pickle=False" in line, f"{path.name}:{n}"
