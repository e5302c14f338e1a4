"""Fitting the threat model to attack nights by maximum likelihood.

Model, per night with month index t (months since the window start):

1. Shahed-type drones (Shaheds and decoys together, the reported ``launched``): an attack with
   probability p; on an attack night the count S is a two-component zero-truncated negative
   binomial mixture, "routine" and "massed" raids, with a shared log-linear monthly trend
   (log mu_k = log_mean_k + b t) and a logistic trend in the massed weight. A single component
   is used instead when BIC (Schwarz 1978) prefers it or there are fewer than 30 attack nights.
2. The night's drone quantile: u = mid-distribution transform of S under step 1,
   u = (F(S-1) + F(S)) / 2, z = Phi^-1(u) (nights without drones get the lowest quantiles).
3. Each missile family f: logit P(X_f > 0) = a_f + b_f z + c_f t and, when present,
   X_f ~ ZTNB(mu_f, r_f) with log mu_f = g_f + h_f z + k_f t. Missiles thus follow the drone
   raid size through z: a conditional model on the drone-size quantile, i.e. a one-factor copula.
4. Decoys among Shahed-type drones: share q ~ Beta, decoys ~ Binomial(S, q) (beta-binomial MLE
   on nights where ``is_shahed`` gives the real Shaheds). Before July 2025 the reports do not say,
   so the share fitted on later nights is applied to all nights.

Parameters are rounded to 6 significant digits so that a saved model reloads exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

import leapsim
from leapsim.errors import InputError
from leapsim.threats.distributions import ztnb_logpmf
from leapsim.threats.families import MISSILE_FAMILIES
from leapsim.threats.model import (
    CountingChange,
    DecoyShare,
    FamilyModel,
    FitInfo,
    Logistic,
    NBComponent,
    Observed,
    ObservedFamily,
    Presence,
    ShahedTypeModel,
    Size,
    SourceInfo,
    ThreatModel,
)
from leapsim.threats.nights import (
    COUNTING_CHANGE,
    NIGHTS_PER_MONTH,
    DroneOutcomes,
    NightTable,
    group_nights,
)
from leapsim.threats.reports import ReportRows
from leapsim.threats.sample import massed_probability, shahed_quantile

MIN_MIXTURE_NIGHTS = 30
MIN_TREND_NIGHTS = 8
MIN_DECOY_NIGHTS = 20
MIN_SHAHED_NIGHTS = 10
_LOG_R = (np.log(0.05), np.log(1e4))
_Z_BOUNDS = (-5.0, 5.0)  # per standard normal unit of the drone quantile
_T_BOUNDS = (-0.5, 0.5)  # per month
_PRIOR_SD = {"drone_z": 5.0, "massed": 5.0, "per_month": 0.5}
MIN_TREND_MONTHS = 6.0
MAX_EXTRAPOLATION_MONTHS = 6.0
NIGHT_RULE = (
    "a report belongs to the noon-to-noon window (labelled by its evening date) that holds the "
    "midpoint of its period; a date-only report of day D belongs to the night D-1"
)
REGIONAL_RULE = (
    "national reports (kpszsu, General Staff, CinC, or target Ukraine) are summed per night and "
    "family; regional UAV rows are never used; a regional missile/bomb row is used only when no "
    "national row reports that family on that night"
)
COUNTING_TREATMENT = (
    "sizes use 'launched', which the change does not affect; from 2025-08 'locationally lost' "
    "drones are inside 'destroyed', so outcome shares are compared as destroyed + not_reach_goal"
)


def _sig(x: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits."""
    return float(f"{float(x):.{digits}g}")


def _minimise(fun: Callable, x0: list[float], bounds: list[tuple[float, float]]) -> np.ndarray:
    res = optimize.minimize(fun, np.asarray(x0, dtype=np.float64), method="L-BFGS-B", bounds=bounds)
    return res.x


def _ztnb_regression(
    y: np.ndarray, design: np.ndarray, slopes: list[tuple[float, float] | None]
) -> tuple[np.ndarray, float, float]:
    """MLE of ZTNB with log mu = design @ beta; column 0 is the intercept.

    ``slopes`` gives the bounds of each further coefficient, or None to fix it at 0.
    Returns (beta, dispersion, negative log-likelihood).
    """
    cols = [0, *(i + 1 for i, b in enumerate(slopes) if b is not None)]
    x = design[:, cols]

    def nll(theta: np.ndarray) -> float:
        mu = np.exp(np.clip(x @ theta[:-1], -30.0, 30.0))
        return -float(ztnb_logpmf(y, mu, np.exp(theta[-1])).sum())

    x0 = [np.log(max(y.mean(), 1.0)), *([0.0] * (len(cols) - 1)), 0.0]
    bounds = [(-20.0, 20.0), *(b for b in slopes if b is not None), _LOG_R]
    theta = _minimise(nll, x0, bounds)
    beta = np.zeros(design.shape[1])
    beta[cols] = theta[:-1]
    return beta, float(np.exp(theta[-1])), nll(theta)


def _fit_shahed(counts: np.ndarray, t: np.ndarray, trend: bool) -> ShahedTypeModel:
    """Attack probability and the (mixture) ZTNB size model, with trend if ``trend``."""
    pos = counts > 0
    y, tt = counts[pos].astype(np.float64), t[pos]
    n = y.size
    design = np.column_stack([np.ones(n), tt])
    t_bounds = _T_BOUNDS if trend else (0.0, 0.0)
    beta, r, nll_single = _ztnb_regression(y, design, [t_bounds])
    p = _sig(pos.mean())
    single = ShahedTypeModel(
        attack_probability=p,
        log_mean_per_month=_sig(beta[1]),
        routine=NBComponent(log_mean=_sig(beta[0]), dispersion=_sig(r)),
    )
    if n < MIN_MIXTURE_NIGHTS:
        return single

    def nll(theta: np.ndarray) -> float:
        a, b, lr1, d, lr2, c0, c1 = theta
        w = special.expit(c0 + c1 * tt)
        l1 = ztnb_logpmf(y, np.exp(a + b * tt), np.exp(lr1))
        l2 = ztnb_logpmf(y, np.exp(a + np.exp(d) + b * tt), np.exp(lr2))
        return -float(np.logaddexp(np.log1p(-w) + l1, np.log(w) + l2).sum())

    q50, q85 = np.quantile(y, [0.5, 0.85])
    w_bounds = (-1.0, 1.0) if trend else (0.0, 0.0)
    bounds = [(-20.0, 20.0), t_bounds, _LOG_R, (-5.0, 3.0), _LOG_R, (-10.0, 10.0), w_bounds]
    best = None
    for w0 in (0.1, 0.2, 0.35):
        upper = y[y >= q85].mean()
        gap = max(np.log(upper) - np.log(q50), 0.2)
        x0 = [np.log(q50), beta[1], np.log(5.0), np.log(gap), np.log(5.0), special.logit(w0), 0.0]
        theta = _minimise(nll, x0, bounds)
        if best is None or nll(theta) < nll(best):
            best = theta
    assert best is not None
    k_single, k_mix = (3, 7) if trend else (2, 5)
    if 2 * nll(best) + k_mix * np.log(n) >= 2 * nll_single + k_single * np.log(n):
        return single
    a, b, lr1, d, lr2, c0, c1 = best
    return ShahedTypeModel(
        attack_probability=p,
        log_mean_per_month=_sig(b),
        routine=NBComponent(log_mean=_sig(a), dispersion=_sig(np.exp(lr1))),
        massed=NBComponent(log_mean=_sig(a + np.exp(d)), dispersion=_sig(np.exp(lr2))),
        massed_weight=Logistic(intercept=_sig(c0), per_month=_sig(c1)),
    )


def _fit_presence(
    present: np.ndarray, x: np.ndarray, prior_sd: list[float]
) -> tuple[np.ndarray, float]:
    """Logistic regression of presence on the design ``x`` (column 0 the intercept).

    A weak ridge prior (standard deviations ``prior_sd`` for the slopes: 5 per unit covariate,
    0.5 per month) keeps separable data finite. Returns (coefficients, unpenalised NLL).
    """
    n, k = present.size, int(present.sum())
    yv = present.astype(np.float64)
    prior_prec = np.array([0.0, *(1.0 / sd**2 for sd in prior_sd)])

    def nll(theta: np.ndarray) -> float:
        eta = x @ theta
        return float(np.sum(np.logaddexp(0.0, eta) - yv * eta))

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        grad = x.T @ (special.expit(x @ theta) - yv) + prior_prec * theta
        return nll(theta) + 0.5 * float(np.sum(prior_prec * theta**2)), grad

    p = min(max(k / n, 0.5 / n), 1.0 - 0.5 / n)
    x0 = np.zeros(x.shape[1])
    x0[0] = special.logit(p)
    theta = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B").x
    return theta, nll(theta)


def _bic(nll: float, params: int, n: int) -> float:
    return 2.0 * nll + params * np.log(n)


def _fit_family(
    counts: np.ndarray, z: np.ndarray, pi: np.ndarray, t: np.ndarray, mixture: bool, trend: bool
) -> FamilyModel | None:
    """Presence and size of one missile family given the drone raid (z, pi) and month t.

    Covariates [z, pi, t] (pi only with a mixture, t only with ``trend``) are kept in each part
    when BIC prefers them over a constant and there are enough nights with and without the
    family.
    """
    present = counts > 0
    k = int(present.sum())
    if k == 0:
        return None
    n = counts.size
    names = ["drone_z", *(["massed"] if mixture else []), *(["per_month"] if trend else [])]
    columns = {"drone_z": z, "massed": pi, "per_month": t}
    bounds = {"drone_z": _Z_BOUNDS, "massed": _Z_BOUNDS, "per_month": _T_BOUNDS}
    full = np.column_stack([np.ones(n), *(columns[c] for c in names)])

    p_coef, p_nll = _fit_presence(present, full[:, :1], [])
    if min(k, n - k) >= MIN_TREND_NIGHTS:
        coef, nll = _fit_presence(present, full, [_PRIOR_SD[c] for c in names])
        if _bic(nll, full.shape[1], n) < _bic(p_nll, 1, n):
            p_coef = coef
    presence = dict(zip(["intercept", *names], p_coef, strict=False))

    y = counts[present].astype(np.float64)
    s_coef, r, s_nll = _ztnb_regression(y, full[present], [None] * len(names))
    if k >= MIN_TREND_NIGHTS:
        coef, r_full, nll = _ztnb_regression(y, full[present], [bounds[c] for c in names])
        if _bic(nll, full.shape[1] + 1, k) < _bic(s_nll, 2, k):
            s_coef, r = coef, r_full
    size = dict(zip(["log_mean", *names], s_coef, strict=True))
    return FamilyModel(
        presence=Presence(
            intercept=_sig(presence["intercept"]),
            **{c: _sig(presence.get(c, 0.0)) for c in ("drone_z", "massed", "per_month")},
        ),
        size=Size(
            log_mean=_sig(size["log_mean"]),
            **{c: _sig(size.get(c, 0.0)) for c in ("drone_z", "massed", "per_month")},
            dispersion=_sig(r),
        ),
    )


def _fit_decoys(table: NightTable, basis: str) -> DecoyShare:
    """Beta-binomial MLE of the decoy share on nights where it is known."""
    known = table.decoys_known
    d = table.decoys[known]
    n = table.counts["shahed_type"][known]
    nights = table.nights[known]
    if d.size == 0 or d.sum() == 0:
        return DecoyShare(mean=0.0, concentration=1.0, basis="none", basis_nights=int(d.size))

    def nll(theta: np.ndarray) -> float:
        return -float(stats.betabinom.logpmf(d, n, np.exp(theta[0]), np.exp(theta[1])).sum())

    share = d.sum() / n.sum()
    x0 = [np.log(20.0 * share), np.log(20.0 * (1.0 - share))]
    theta = _minimise(nll, x0, [(-10.0, 12.0), (-10.0, 12.0)])
    a, b = np.exp(theta)
    return DecoyShare(
        mean=_sig(a / (a + b)),
        concentration=_sig(a + b),
        basis=basis,  # type: ignore[arg-type]
        basis_nights=int(d.size),
        basis_start=nights.min().item(),
        basis_end=nights.max().item(),
    )


def _observed(counts: np.ndarray) -> ObservedFamily:
    pos = counts > 0
    return ObservedFamily(
        attack_night_fraction=_sig(pos.mean()),
        mean_on_attack_nights=_sig(counts[pos].mean() if pos.any() else 0.0),
        monthly_total=_sig(counts.mean() * NIGHTS_PER_MONTH),
    )


def _shares(o: DroneOutcomes) -> tuple[float | None, float | None]:
    if o.launched <= 0:
        return None, None
    return (
        _sig(min(o.destroyed / o.launched, 1.0)),
        _sig(min((o.destroyed + o.not_reach_goal) / o.launched, 1.0)),
    )


def fit_threat_model(
    rows: ReportRows,
    since: np.datetime64 | None = None,
    until: np.datetime64 | None = None,
    *,
    name: str | None = None,
    max_extrapolation_months: float | None = None,
) -> ThreatModel:
    """Fit a :class:`ThreatModel` to the report rows of the nights ``since..until``.

    Monthly trends are fitted only on windows of at least ``MIN_TREND_MONTHS`` months; the
    sampler holds them flat beyond ``max_extrapolation_months`` (default: half the window,
    at most ``MAX_EXTRAPOLATION_MONTHS``) outside the window.
    """
    table = group_nights(rows, since, until)
    shahed = table.counts["shahed_type"]
    with_drones = int((shahed > 0).sum())
    if with_drones < MIN_SHAHED_NIGHTS:
        raise InputError.at(
            f"only {with_drones} night{'' if with_drones == 1 else 's'} with Shahed-type drones "
            f"from {table.nights[0]} to {table.nights[-1]}",
            file=rows.file,
            hint=f"the model needs at least {MIN_SHAHED_NIGHTS}; widen --since/--until",
        )
    t = table.month
    trend = table.months >= MIN_TREND_MONTHS
    shahed_model = _fit_shahed(shahed, t, trend)
    z = special.ndtri(shahed_quantile(shahed_model, shahed, t))
    pi = massed_probability(shahed_model, shahed, t)
    mixture = shahed_model.massed is not None
    families = {f: _fit_family(table.counts[f], z, pi, t, mixture, trend) for f in MISSILE_FAMILIES}

    decoy_table, basis = table, "window"
    if int(table.decoys_known.sum()) < MIN_DECOY_NIGHTS:
        decoy_table, basis = group_nights(rows), "file"
    decoy = _fit_decoys(decoy_table, basis)

    start = table.nights[0].item()
    end = table.nights[-1].item()
    before, after = table.outcomes_before_change, table.outcomes_after_change
    known = table.decoys_known
    return ThreatModel(
        name=name or f"ukraine-{start:%Y-%m}-to-{end:%Y-%m}",
        description=(
            "Nightly raids fitted to Ukrainian Air Force reports: Shahed-type drone raids "
            "(routine/massed mixture with trend), decoy share, and cruise, ballistic and other "
            "missiles conditioned on the drone raid size."
        ),
        source=SourceInfo(
            dataset="Massive Missile Attacks on Ukraine",
            url="https://www.kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine",
            publisher="Air Force Command of the Armed Forces of Ukraine (daily reports)",
            digitised_by="Petro Ivaniuk (Kaggle piterfm)",
            file=Path(rows.file).name,
            file_sha256=rows.sha256,
            licence="credit Petro Ivaniuk / Kaggle piterfm and the Ukrainian Air Force",
            caveat="Ukrainian official claims, not independently verified",
        ),
        fit=FitInfo(
            window_start=start,
            window_end=end,
            nights=int(table.nights.size),
            shahed_attack_nights=int((shahed > 0).sum()),
            rows_national=table.rows_national,
            rows_regional_used=table.rows_regional_used,
            rows_regional_dropped=table.rows_regional_dropped,
            rows_without_launched=table.rows_without_launched,
            unmapped_models=list(rows.unmapped_models),
            night_rule=NIGHT_RULE,
            regional_rule=REGIONAL_RULE,
            leapsim_version=leapsim.__version__,
        ),
        counting_change=CountingChange(
            date=COUNTING_CHANGE.item(),
            treatment=COUNTING_TREATMENT,
            destroyed_share_before=_shares(before)[0],
            harmonised_share_before=_shares(before)[1],
            destroyed_share_after=_shares(after)[0],
            harmonised_share_after=_shares(after)[1],
        ),
        max_extrapolation_months=(
            _sig(min(MAX_EXTRAPOLATION_MONTHS, table.months / 2.0))
            if max_extrapolation_months is None
            else max_extrapolation_months
        ),
        shahed_type=shahed_model,
        decoy=decoy,
        cruise_missile=families["cruise_missile"],
        ballistic_missile=families["ballistic_missile"],
        other=families["other"],
        observed=Observed(
            shahed_type=_observed(shahed),
            cruise_missile=_observed(table.counts["cruise_missile"]),
            ballistic_missile=_observed(table.counts["ballistic_missile"]),
            other=_observed(table.counts["other"]),
            decoy_share=(
                _sig(table.decoys[known].sum() / shahed[known].sum()) if known.any() else None
            ),
        ),
    )
