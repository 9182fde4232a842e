"""Inter-annotator agreement for class labels: Krippendorff's alpha (nominal, any number
of annotators, missing answers allowed), Fleiss' kappa (items with the same number of
answers), Cohen's kappa per annotator pair, and per-class alpha and positive agreement."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

Answers = dict[str, dict[str, str]]  # item -> annotator -> label


def krippendorff_alpha(answers: Answers) -> float | None:
    """Nominal alpha over items with at least two answers; None when undefined."""
    pairable = [list(a.values()) for a in answers.values() if len(a) >= 2]
    if not pairable:
        return None
    coincidence: defaultdict[tuple[str, str], float] = defaultdict(float)
    for values in pairable:
        m = len(values)
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidence[(a, b)] += 1 / (m - 1)
    totals: defaultdict[str, float] = defaultdict(float)
    for (a, _), weight in coincidence.items():
        totals[a] += weight
    n = sum(totals.values())
    observed = sum(w for (a, b), w in coincidence.items() if a != b) / n
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (
        n * (n - 1))
    if expected == 0:
        return 1.0 if observed == 0 else None
    return 1 - observed / expected


def fleiss_kappa(answers: Answers, classes: list[str]) -> float | None:
    """Fleiss' kappa over the items with the most common number of answers (>= 2)."""
    sizes = Counter(len(a) for a in answers.values() if len(a) >= 2)
    if not sizes:
        return None
    raters = sizes.most_common(1)[0][0]
    items = [a for a in answers.values() if len(a) == raters]
    counts = [[list(a.values()).count(c) for c in classes] for a in items]
    n = len(items)
    p_items = [(sum(x * x for x in row) - raters) / (raters * (raters - 1)) for row in counts]
    p_bar = sum(p_items) / n
    shares = [sum(row[j] for row in counts) / (n * raters) for j in range(len(classes))]
    p_e = sum(p * p for p in shares)
    if p_e == 1:
        return None
    return (p_bar - p_e) / (1 - p_e)


def cohen_kappa(answers: Answers) -> dict[str, float]:
    """Kappa for every pair of annotators over the items both answered (>= 2 items)."""
    annotators = sorted({who for a in answers.values() for who in a})
    out: dict[str, float] = {}
    for x, y in combinations(annotators, 2):
        pairs = [(a[x], a[y]) for a in answers.values() if x in a and y in a]
        if len(pairs) < 2:
            continue
        observed = sum(p == q for p, q in pairs) / len(pairs)
        fx, fy = Counter(p for p, _ in pairs), Counter(q for _, q in pairs)
        expected = sum(fx[c] * fy[c] for c in fx) / len(pairs) ** 2
        if expected < 1:
            out[f"{x}|{y}"] = (observed - expected) / (1 - expected)
    return out


def per_class(answers: Answers, label: str) -> tuple[float | None, float | None, int]:
    """(alpha of this class vs the rest, positive agreement, items involving the class)."""
    binary = {item: {who: "yes" if v == label else "no" for who, v in a.items()}
              for item, a in answers.items() if len(a) >= 2}
    involved = [a for a in binary.values() if "yes" in a.values()]
    agree = disagree = 0
    for a in involved:
        yes = sum(v == "yes" for v in a.values())
        agree += yes * (yes - 1)
        disagree += yes * (len(a) - yes)
    positive = agree / (agree + disagree) if agree + disagree else None
    return krippendorff_alpha(binary), positive, len(involved)


SpanSet = frozenset[tuple[int, int, str]]  # (start, end, label)


def span_f1(spans: dict[str, dict[str, SpanSet]],
            label: str | None = None) -> tuple[float | None, int]:
    """Pairwise F1 of exactly matching spans (the usual agreement for NER-style labels; for
    two people it is their positive specific agreement), pooled over every pair of people
    on every item they both answered; only ``label``'s spans when given. Returns the F1
    (None when no pair marked anything) and how many items were compared."""
    matched = marked = items = 0
    for by_person in spans.values():
        if len(by_person) < 2:
            continue
        items += 1
        for a, b in combinations(sorted(by_person), 2):
            left = {s for s in by_person[a] if label is None or s[2] == label}
            right = {s for s in by_person[b] if label is None or s[2] == label}
            matched += 2 * len(left & right)
            marked += len(left) + len(right)
    return (matched / marked if marked else None), items
