"""Combining labeling-function votes without gold labels.

A generative model in the Dawid-Skene family, fitted by EM, with three choices that make
it work for the rules people actually write (most vote one class or abstain):

- For each function, vote ``v`` and true class ``y`` it learns P(vote = v | y) with the
  abstain mass implicit. A function firing on 30% of spam and 1% of ham is strong
  evidence when it fires, whatever its "accuracy" would be.
- Those estimates are pulled toward "right 70% of the time it fires" by pseudo-counts
  worth ``prior_weight`` times the number of rows (Snorkel regularises toward the same
  accuracy), and a function may never count as evidence *against* the class it votes.
- A function that abstains is weak evidence (weighted ``abstain_weight``): EM with full
  abstain evidence over-trusts it, since abstentions correlate beyond the class.

Classes are equally likely a priori unless ``class_balance`` is given. EM starts from
majority vote, so classes keep their meaning. Rows people labeled keep their class through
EM (semi-supervised); ``semisupervised.py`` chooses, from those rows, whether and how.
Pure numpy; ~10 ms per EM pass over 100,000 rows by 10 functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ABSTAIN = -1
FLOOR = 1e-6


@dataclass
class LabelModel:
    k: int
    prior_accuracy: float = 0.7
    prior_weight: float = 0.5
    abstain_weight: float = 0.25
    iterations: int = 200
    tolerance: float = 1e-6
    class_balance: np.ndarray | None = None

    def fit(self, votes: np.ndarray, gold: np.ndarray | None = None) -> LabelModel:
        """Fit on the (n, m) votes; ``gold`` (n,) holds people's classes, -1 where none:
        those rows keep their class through EM, anchoring what each function's votes mean."""
        votes = check_votes(votes, self.k)
        onehot, abstained = _encode(votes, self.k)
        balance = self._balance()
        known = np.zeros(len(votes), dtype=bool) if gold is None else gold >= 0
        truth = np.eye(self.k)[gold[known]] if gold is not None else None
        q = _normalise(majority_counts(votes, self.k), uniform_when_empty=True)
        q[known] = truth
        pseudo = self._pseudo_counts(onehot, len(votes))
        for _ in range(self.iterations):
            self.rates_ = self._rates(q, onehot, pseudo, len(votes))
            new_q = self._posterior(onehot, abstained, balance)
            new_q[known] = truth
            converged = np.abs(new_q - q).max() < self.tolerance
            q = new_q
            if converged:
                break
        return self

    def predict_proba(self, votes: np.ndarray) -> np.ndarray:
        """(n, k) class probabilities for each row."""
        onehot, abstained = _encode(check_votes(votes, self.k), self.k)
        return self._posterior(onehot, abstained, self._balance())

    def accuracies(self, votes: np.ndarray) -> np.ndarray:
        """Each function's estimated accuracy where it votes (no gold labels used)."""
        votes = check_votes(votes, self.k)
        probs = self.predict_proba(votes)
        out = np.full(votes.shape[1], np.nan)
        for j in range(votes.shape[1]):
            fired = votes[:, j] != ABSTAIN
            if fired.any():
                out[j] = probs[fired, votes[fired, j]].mean()
        return out

    def class_balance_(self) -> np.ndarray:
        """The prior over classes the model uses (given, or equal)."""
        return self._balance()

    def _balance(self) -> np.ndarray:
        if self.class_balance is None:
            return np.full(self.k, 1.0 / self.k)
        return np.asarray(self.class_balance, dtype=float) / np.sum(self.class_balance)  # type: ignore[no-any-return]

    def _pseudo_counts(self, onehot: np.ndarray, n: int) -> np.ndarray:
        """(m, v, y) pseudo-counts: share of rows voting v, right prior_accuracy of the time."""
        share = onehot.mean(axis=0)  # (m, v)
        correct = np.where(np.eye(self.k, dtype=bool), self.prior_accuracy,
                           (1 - self.prior_accuracy) / max(self.k - 1, 1))
        return self.prior_weight * n * self.k * share[:, :, None] * correct[None, :, :]  # type: ignore[no-any-return]

    def _rates(self, q: np.ndarray, onehot: np.ndarray, pseudo: np.ndarray,
               n: int) -> np.ndarray:
        """(m, v, y) P(vote v | class y), never favouring another class over the voted one."""
        counts = np.einsum("ny,nmv->mvy", q, onehot) + pseudo
        rates = counts / (q.sum(axis=0) + self.prior_weight * n)[None, None, :]
        voted = np.einsum("mvv->mv", rates)[:, :, None]
        rates = np.minimum(rates, voted)
        return np.clip(rates, FLOOR, 1.0)  # type: ignore[no-any-return]

    def _posterior(self, onehot: np.ndarray, abstained: np.ndarray,
                   balance: np.ndarray) -> np.ndarray:
        log_rates = np.log(self.rates_)
        log_abstain = np.log(np.clip(1 - self.rates_.sum(axis=1), FLOOR, 1.0))  # (m, y)
        scores = (np.log(balance)[None, :] + np.einsum("nmv,mvy->ny", onehot, log_rates)
                  + self.abstain_weight * abstained @ log_abstain)
        return _normalise(np.exp(scores - scores.max(axis=1, keepdims=True)))


def tie_accuracy(scores: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy with ties broken at random (fixed seed), as Snorkel scores label models."""
    jitter = np.random.default_rng(0).random(scores.shape) * 1e-9
    tied = np.isclose(scores, scores.max(axis=1, keepdims=True))
    return float(((scores + jitter * tied).argmax(axis=1) == truth).mean())


def majority_counts(votes: np.ndarray, k: int) -> np.ndarray:
    return np.stack([(votes == c).sum(axis=1) for c in range(k)], axis=1).astype(float)


def check_votes(votes: np.ndarray, k: int) -> np.ndarray:
    votes = np.asarray(votes, dtype=np.int64)
    if votes.ndim != 2 or (votes.size and ((votes < ABSTAIN) | (votes >= k)).any()):
        raise ValueError(f"votes must be an (n, m) matrix of -1..{k - 1}")
    return votes


def _encode(votes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One-hot votes (n, m, k), and the abstentions (n, m) as 0/1."""
    return np.eye(k + 1)[votes + 1][:, :, 1:], (votes == ABSTAIN).astype(float)


def _normalise(scores: np.ndarray, *, uniform_when_empty: bool = False) -> np.ndarray:
    totals = scores.sum(axis=1, keepdims=True)
    if uniform_when_empty:
        return np.where(totals > 0, scores / np.maximum(totals, 1e-300), 1.0 / scores.shape[1])  # type: ignore[no-any-return]
    return scores / totals  # type: ignore[no-any-return]
