"""The base every model plugin builds on (the seed's ModelBase)."""

from faceswap.plugins.train.model._base.model import ModelBase
from faceswap.plugins.train.model._base.options import TRAIN_OPTIONS, Option

__all__ = ["TRAIN_OPTIONS", "ModelBase", "Option"]
