"""make bench: performance ratios measured in one run on this machine.

A first version on the bundled corpus (issue 9 brings a generated corpus of a
few hundred pages and its ten-times-larger variant). Each figure is a whole
process, timed with the wall clock; ratios compare runs made here, now.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(args, **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, **kwargs)
    return time.perf_counter() - started


def main() -> int:
    corpus = ROOT / "corpus"
    pdfs = sorted(corpus.rglob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plumber = timed([PY, "-c", "import pdfplumber, sys\nfor p in sys.argv[1:]:\n"
                         "    with pdfplumber.open(p) as pdf: [page.extract_text() for page in pdf.pages]",
                         *map(str, pdfs)])
        pdf_only = tmp / "pdf-corpus"
        pdf_only.mkdir()
        for pdf in pdfs:
            shutil.copy(pdf, pdf_only / pdf.name)
        run = [PY, "-m", "pipeline", "run", "--quiet"]
        full = timed(run + ["--corpus", str(pdf_only), "--outputs", str(tmp / "a")])
        noop = timed(run + ["--corpus", str(pdf_only), "--outputs", str(tmp / "a")])
        one = timed(run + ["--corpus", str(corpus), "--outputs", str(tmp / "b"), "--jobs", "1"])
        two = timed(run + ["--corpus", str(corpus), "--outputs", str(tmp / "c"), "--jobs", "2"])
        text = (tmp / "b" / "text" / "mic2025-hk.txt").read_text(encoding="utf-8") * 20
        code = ("import sys, time\nfrom pipeline import convert, segment\nfrom pipeline.config import Config\n"
                "text = sys.stdin.read(); mb = len(text.encode()) / 1e6\n"
                "convert.converter('hk2s')('預熱'); t = time.perf_counter(); convert.converter('hk2s')(text)\n"
                "c = mb / (time.perf_counter() - t)\n"
                "segment.segment_text('預熱。', 'zh-Hant', Config()); t = time.perf_counter()\n"
                "segment.segment_text(text, 'zh-Hant', Config()); s = mb / (time.perf_counter() - t)\n"
                "print(f'{c:.1f} {s:.2f}')")
        rates = subprocess.run([PY, "-c", code], input=text, capture_output=True, text=True, check=True,
                               cwd=ROOT).stdout.split()
    print(f"bundled corpus: {len(pdfs)} PDFs for the first two rows, all {len(list(corpus.rglob('*.*')))} "
          "documents for the --jobs rows")
    print(f"{'pipeline run / pdfplumber extract_text alone (PDFs)':58s} {full / plumber:6.2f}x  "
          f"({full:.1f} s vs {plumber:.1f} s)")
    print(f"{'no-op rerun':58s} {noop:6.2f} s")
    print(f"{'--jobs 2 speed-up over --jobs 1':58s} {one / two:6.2f}x  ({one:.1f} s vs {two:.1f} s)")
    print(f"{'OpenCC hk2s conversion':58s} {float(rates[0]):6.1f} MB/s")
    print(f"{'segmentation (hk2s + jieba + spaCy Doc)':58s} {float(rates[1]):6.2f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
