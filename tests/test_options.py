"""Every option a label model takes acts: a value other than its default changes the probabilities, or the model
warns or refuses it, naming the option. Options that only change what is shown (a progress bar, the log) are
checked by what they show."""
import inspect
import logging
import warnings

import numpy as np
import pytest

import crowd_ws.label_model  # noqa: F401 (defines every model)
from crowd_ws.base import label_models
from crowd_ws.data import make_crowd

# a skewed crowd of 8 workers, and two labelling functions that vote one class each: every option has data to act on
_c = make_crowd(600, 8, coverage=0.6, class_balance=(0.7, 0.3), seed=1)
_rng = np.random.default_rng(2)
_lfs = np.stack([np.where((_c.y == 1) & (_rng.random(600) < 0.5), 1, -1), np.where((_c.y == 0) & (_rng.random(600) < 0.4), 0, -1)], 1)
L, Y = np.concatenate([_c.L, _lfs], 1), _c.y

FIT_ALTERNATIVES = {  # a value other than the default, for every fit option any model has
    "Y_dev": 1 - Y, "class_balance": [0.2, 0.8], "balance": [0.2, 0.8], "y_known": np.where(np.arange(600) < 300, Y, -1),
    "n_epochs": 10, "lr": 0.05, "l2": 1.0, "optimizer": "adam", "seed": 3, "log_freq": 5, "prec_init": 0.9,
    "momentum": 0.5, "em_steps": 0, "mu_eps": 0.3, "lr_scheduler": "linear", "lr_scheduler_config": {"warmup_steps": 20},
    "optimizer_config": {"sgd_config": {"momentum": 0.2}}, "L_dev": L[:100]}
INIT_ALTERNATIVES = {
    "n_iter": 1, "tol": 0.1, "smoothing": 2.0, "one_sided": "confusion", "prior_votes": 0.0, "vb": True, "strength": 20.0,
    "m_steps": 1, "prior_sd": 0.1, "seed": 3, "device": "cuda", "estimator": "mv", "members": ("mace", "wawa"), "confusion": "mace"}
SHOWN = {"progress_bar": True, "verbose": True}  # options that change what is shown, not the model

def _cases(where):
    out = []
    for name, cls in sorted(label_models().items()):
        sig = inspect.signature(cls.fit if where == "fit" else cls.__init__).parameters
        for p in sig.values():
            if p.name in ("self", "L", "L_train", "cardinality") or p.kind is p.VAR_KEYWORD: continue
            out.append(pytest.param(cls, p.name, id=f"{name}.{where}({p.name})"))
    return out

def _probs(cls, init=None, fit=None):
    "(probabilities, messages of the warnings raised) of one fit, or the message of the error it raised."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try: P = cls(2, **(init or {})).fit(L, **(fit or {})).predict_proba(L)
        except (ValueError, TypeError) as e: return None, [str(e)]
    return P, [str(w.message) for w in caught]

def _acts(cls, init, fit, option, capfd):
    base, _ = _probs(cls)
    P, said = _probs(cls, init, fit)
    if option in SHOWN:
        shown = capfd.readouterr()
        return bool(shown.err.strip() or shown.out.strip())
    return any(option in s for s in said) or (P is not None and not np.array_equal(P, base))

@pytest.mark.parametrize("cls,option", _cases("fit"))
def test_every_fit_option_acts_or_says_so(cls, option, capfd):
    value = SHOWN.get(option, FIT_ALTERNATIVES.get(option))
    assert option in FIT_ALTERNATIVES or option in SHOWN, f"no alternative value for {option}: add one"
    capfd.readouterr()
    assert _acts(cls, {}, {option: value}, option, capfd), f"{cls.__name__}.fit({option}={value!r}) changes nothing and says nothing"

@pytest.mark.parametrize("cls,option", _cases("init"))
def test_every_setting_acts_or_says_so(cls, option, capfd, caplog):
    value = SHOWN.get(option, INIT_ALTERNATIVES.get(option))
    assert option in INIT_ALTERNATIVES or option in SHOWN, f"no alternative value for {option}: add one"
    if option == "verbose":  # logs on fit (through the `crowd_ws` logger: on stdout, unless a handler takes it, as pytest's does)
        with caplog.at_level(logging.INFO, logger="crowd_ws"): cls(2, verbose=True).fit(L)
        assert caplog.records, f"{cls.__name__}(verbose=True) logs nothing"
        return
    capfd.readouterr()
    assert _acts(cls, {option: value}, {}, option, capfd), f"{cls.__name__}({option}={value!r}) changes nothing and says nothing"


def test_verbose_log_names_the_committee_that_was_fitted(caplog):
    "The log says the committee kept its first M-step (labelling functions) only where it did; a crowd's is refined by EM."
    from crowd_ws.label_model import LabelModel
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    crowd = np.where(rng.random((2000, 6)) < 0.8, y[:, None], 1 - y[:, None])  # errors alike in both classes: symmetric
    lfs = np.where(rng.random((2000, 6)) < np.where(y[:, None] == np.arange(6) % 2, 0.4, 0.05), np.arange(6) % 2, -1)
    for L_c, one_sided in ((crowd, False), (lfs, True)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crowd_ws"): m = LabelModel(2, verbose=True).fit(L_c)
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("committee:")]
        assert len(said) == 1 and said[0].startswith(f"committee: {', '.join(m.members_)} "), said
        assert ("first M-step" in said[0]) == one_sided and ("fitted by EM" in said[0]) != one_sided, said
        assert (m.class_balance_from_ == "uniform") == one_sided
