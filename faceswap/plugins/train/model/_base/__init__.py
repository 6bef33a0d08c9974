"""The base every model plugin builds on (the seed's ModelBase), and the factory that makes them."""

from faceswap.plugins.train.model._base.factory import create_model, load_model, model_class
from faceswap.plugins.train.model._base.model import ModelBase
from faceswap.plugins.train.model._base.options import TRAIN_OPTIONS, Option

__all__ = ["TRAIN_OPTIONS", "ModelBase", "Option", "create_model", "load_model", "model_class"]
