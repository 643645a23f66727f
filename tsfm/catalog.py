"""Every forecaster and every shipped pretrained model under one name each.

The one table behind ``tsfm backtest --models`` (and any other place that builds a model from a
name): the forecaster classes of :data:`tsfm.__all__`, named in snake case (``SeasonalNaive`` is
``seasonal_naive``, ``PatchTSTForecaster`` is ``patchtst``), and the pretrained models of
``tsfm/pretrained/registry.json`` under their registry names (``tsfm-combo``,
``tsfm-small-v2``, ...). A new forecaster exported from :mod:`tsfm` or a newly registered
pretrained model is found here without editing a list.
"""

from __future__ import annotations

import inspect
import re

SUFFIX = "Forecaster"


def model_name(cls: type) -> str:
    """The name of a forecaster class in the catalog: ``PatchTSTForecaster`` -> ``patchtst``,
    ``SeasonalNaive`` -> ``seasonal_naive``, ``ETS`` -> ``ets``."""
    name = cls.__name__
    if name.endswith(SUFFIX):
        return name[: -len(SUFFIX)].lower()
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def forecaster_classes() -> dict[str, type]:
    """Catalog name to class of every concrete forecaster :mod:`tsfm` exports (this imports
    the torch models)."""
    import tsfm
    from tsfm.base import BaseForecaster

    classes = {}
    for name in tsfm.__all__:
        obj = getattr(tsfm, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, BaseForecaster)
            and not inspect.isabstract(obj)
            and obj._predict_batch is not BaseForecaster._predict_batch
        ):
            classes[model_name(obj)] = obj
    return dict(sorted(classes.items()))


def pretrained_names() -> list[str]:
    """The shipped pretrained models' registry names."""
    from tsfm.pretrained import registry

    return sorted(registry())


def model_names() -> list[str]:
    """Every name :func:`build_model` accepts: forecasters, then pretrained models."""
    return [*forecaster_classes(), *pretrained_names()]


def model_class(name: str) -> type:
    """The class ``name`` builds: a forecaster's own, or a pretrained model's (from its
    registry entry, without reading the weights)."""
    import tsfm
    from tsfm.pretrained import registry

    classes = forecaster_classes()
    if name in classes:
        return classes[name]
    entries = registry()
    if name in entries:
        return getattr(tsfm, entries[name]["class"])
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(model_names())}")


def build_model(name: str, params: dict, horizon: int, season_length: int | None = None):
    """A forecaster from its catalog ``name``, with ``params`` (hyperparameters) set.

    Parameters
    ----------
    name : str
        A forecaster (``seasonal_naive``, ``patchtst``, ...) or a shipped pretrained model
        (``tsfm-combo``, ``tsfm-small-v2``, ...): see :func:`model_names`.
    params : dict
        Hyperparameters; unknown ones are refused, naming the model.
    horizon : int
        The forecast horizon, set as ``prediction_length`` of a forecaster trained from scratch
        (a pretrained model keeps its architecture and forecasts any horizon).
    season_length : int, optional
        Set as ``season_length`` where the class has that hyperparameter.

    Returns
    -------
    BaseForecaster
        Not fitted.
    """
    klass = model_class(name)
    accepted = inspect.signature(klass).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"{name} ({klass.__name__}) has no parameter {', '.join(map(repr, unknown))}; it "
            f"has {', '.join(accepted)}"
        )
    defaults = {}
    if season_length is not None and "season_length" in accepted:
        defaults["season_length"] = season_length
    if name in pretrained_names():
        from tsfm.pretrained import from_pretrained

        return from_pretrained(name, **{**defaults, **params})
    return klass(prediction_length=horizon, **{**defaults, **params})
