"""Former home of the folder evaluation, kept so that ``segmetrics.evaluate.NAME`` still works.

Everything moved to :mod:`segmetrics.evaluation` (one job per module); this
module re-exports its public names.
"""
from segmetrics.evaluation import *  # noqa: F403
from segmetrics.evaluation import __all__  # noqa: F401
