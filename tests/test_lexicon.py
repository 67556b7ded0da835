"""The built-in dictionary passes its conventions check (tools/check_lexicon.py):
ids, categories, parents without cycles, one concept per alias in every
script, English spelling twins, and its table of expected matches."""

import subprocess
import sys

from conftest import ROOT


def test_builtin_dictionary_passes_its_check():
    proc = subprocess.run([sys.executable, str(ROOT / "tools/check_lexicon.py")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "0 error(s)" in proc.stdout
