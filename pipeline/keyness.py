"""Keyness, below the stages: which concepts or words are typical of one
group of documents (a period, an issuer) against another. Pure functions:
counts in, rows out. Used by the ``keyness`` command and the report; imports
no stage.

Two numbers per item, from its count in the target (a) and the reference (b)
and the two totals (c, d):

- :func:`log_likelihood`, Dunning's G² in the two-cell form of Rayson and
  Garside (2000), "Comparing corpora using frequency profiling", the form
  UCREL's log-likelihood calculator uses: E1 = c(a+b)/(c+d),
  E2 = d(a+b)/(c+d), G² = 2(a ln(a/E1) + b ln(b/E2)), a term with a zero
  count being 0. It says how sure we can be that the rates differ (3.84:
  p < 0.05, 6.63: p < 0.01, 10.83: p < 0.001, one degree of freedom). Signed
  here: positive where the target's rate a/c is the higher, negative where
  the reference's is.
- :func:`log_ratio`, Hardie's Log Ratio (2014, "Log Ratio – an informal
  introduction", CASS): log2((a/c) / (b/d)), how big the difference is. 1
  means twice as frequent in the target, -1 half as frequent. A zero count
  is replaced by 0.5 (the convention of UCREL's log-likelihood and effect
  size calculator), so an item missing on one side gets a large but finite
  value.

The check values in the doctests: 52 in 50,000 tokens against 57 in 75,000
is the worked example of Lancaster's log-likelihood calculator (LL + 2.65);
the others are computed by hand in tests/test_keyness.py.
"""

from __future__ import annotations

import math
import unicodedata

ZERO = 0.5  # what log_ratio puts for a zero count
DIGITS = 6  # rounding of g2, log_ratio and p: reruns print the same digits


def _term(observed: float, expected: float) -> float:
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """Signed G² of an item seen ``a`` times in a target of ``c`` tokens and
    ``b`` times in a reference of ``d`` tokens (Rayson and Garside 2000):
    positive when a/c > b/d, negative when a/c < b/d, 0 when equal.

    >>> round(log_likelihood(52, 57, 50_000, 75_000), 2)  # Lancaster's calculator: + 2.65
    2.65
    >>> round(log_likelihood(57, 52, 75_000, 50_000), 2)  # the same, the sides swapped
    -2.65
    >>> round(log_likelihood(0, 10, 1000, 1000), 6), log_likelihood(5, 10, 100, 200)
    (-13.862944, 0.0)
    """
    if a < 0 or b < 0 or c <= 0 or d <= 0 or a > c or b > d:
        raise ValueError(f"log_likelihood: expected 0 <= a <= c, 0 <= b <= d, c, d > 0; got {a}, {b}, {c}, {d}")
    if a + b == 0:
        return 0.0
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    g2 = 2 * (_term(a, e1) + _term(b, e2))
    if a * d == b * c:  # equal rates: exactly 0, not a rounding error's -0.0 or 1e-16
        return 0.0
    return g2 if a * d > b * c else -g2


def log_ratio(a: float, b: float, c: float, d: float, *, zero: float = ZERO) -> float:
    """Hardie's Log Ratio, log2((a/c) / (b/d)), with a zero count replaced by
    ``zero`` (0.5).

    >>> log_ratio(10, 20, 1000, 4000), log_ratio(5, 5, 100, 100)
    (1.0, 0.0)
    >>> round(log_ratio(0, 10, 1000, 1000), 6), log_ratio(0, 0, 10, 10)
    (-4.321928, 0.0)
    """
    if c <= 0 or d <= 0:
        raise ValueError(f"log_ratio: expected totals > 0, got {c}, {d}")
    if a == 0 and b == 0:
        return 0.0
    return math.log2(((a or zero) / c) / ((b or zero) / d))


def p_value(g2: float) -> float:
    """The chance of a G² this large (either sign) if the rates were equal:
    the chi-squared distribution with one degree of freedom, erfc(√(G²/2)).

    >>> round(p_value(3.841459), 4), round(p_value(-10.827566), 4), p_value(0.0)
    (0.05, 0.001, 1.0)
    """
    return math.erfc(math.sqrt(abs(g2) / 2))


def keyness(target_counts: dict, reference_counts: dict, *, min_count: int = 1,
            totals: tuple[int, int] | None = None) -> list[dict]:
    """One row per item seen at least ``min_count`` times in the two sides
    together, sorted by signed G² (most typical of the target first, most
    typical of the reference last; ties by item). ``totals`` are (target,
    reference) sizes: by default the sums of the counts; pass larger ones
    when the counts leave items out (stopwords).

    >>> rows = keyness({"a": 10, "b": 5}, {"a": 2, "b": 20, "c": 3}, totals=(100, 200))
    >>> [(r["item"], r["target_count"], r["reference_count"], r["g2"]) for r in rows]
    [('a', 10, 2, 12.780637), ('b', 5, 20, -2.184606), ('c', 0, 3, -2.432791)]
    >>> rows[0]["log_ratio"], rows[0]["target_total"], rows[0]["reference_total"]
    (3.321928, 100, 200)
    >>> keyness({"a": 1}, {}, min_count=2)
    []
    """
    c = sum(target_counts.values()) if totals is None else totals[0]
    d = sum(reference_counts.values()) if totals is None else totals[1]
    if c <= 0 or d <= 0:
        return []
    rows = []
    for item in sorted(set(target_counts) | set(reference_counts)):
        a, b = target_counts.get(item, 0), reference_counts.get(item, 0)
        if a + b < max(min_count, 1):
            continue
        g2 = log_likelihood(a, b, c, d)
        rows.append({"item": item, "target_count": a, "reference_count": b, "target_total": c,
                     "reference_total": d, "g2": round(g2, DIGITS) + 0.0,
                     "log_ratio": round(log_ratio(a, b, c, d), DIGITS) + 0.0,
                     "p": round(p_value(g2), DIGITS)})
    rows.sort(key=lambda r: (-r["g2"], r["item"]))
    return rows


def is_word(token: str) -> bool:
    """Does a token count as a word: it holds a letter (a Han character is
    one). Punctuation, symbols and bare numbers do not.

    >>> [is_word(t) for t in ("制造", "robots", "4.0", "2025", "，", "工业4.0", "")]
    [True, True, False, False, False, True, False]
    """
    return any(unicodedata.category(ch).startswith("L") for ch in token)


def word_counts(tokens, *, stopwords=frozenset(), surfaces: dict | None = None) -> tuple[dict, int]:
    """Counts of the word tokens (see :func:`is_word`) and their total.
    ``tokens`` are (surface, form) pairs: a token as written and the form it
    is counted under (Traditional and Simplified folded into one script,
    English in lower case). A token whose form or surface is in
    ``stopwords`` counts in the total but gets no row, so leaving stopwords
    out changes no other row's numbers. ``surfaces``, when given, collects
    {form: {surface: count}}.

    >>> pairs = [("推進", "推进"), ("推进", "推进"), ("的", "的"), ("，", "，"), ("Robots", "robots")]
    >>> word_counts(pairs, stopwords={"的"})
    ({'推进': 2, 'robots': 1}, 4)
    """
    counts: dict[str, int] = {}
    total = 0
    for surface, form in tokens:
        if not is_word(surface):
            continue
        total += 1
        if form in stopwords or surface in stopwords:
            continue
        counts[form] = counts.get(form, 0) + 1
        if surfaces is not None:
            seen = surfaces.setdefault(form, {})
            seen[surface] = seen.get(surface, 0) + 1
    return counts, total


def add_counts(into: dict, counts: dict) -> dict:
    """``counts`` added to ``into`` (changed in place and returned).

    >>> add_counts({"a": 1}, {"a": 2, "b": 1})
    {'a': 3, 'b': 1}
    """
    for item, n in counts.items():
        into[item] = into.get(item, 0) + n
    return into
