"""AutoClip scales gradients to a percentile of their own recent norms."""

import keras
import numpy as np
import pytest
from fstest import batch, make_original, train_steps

from faceswap.lib.model.autoclip import with_autoclip


def test_clips_to_percentile_of_history():
    optimizer = with_autoclip(keras.optimizers.SGD, percentile=50, history=4)(learning_rate=1.0)
    variable = keras.Variable(np.zeros(2, np.float32))
    optimizer.build([variable])
    for norm in (1.0, 2.0, 3.0, 4.0):
        optimizer.apply([np.array([norm, 0.0], np.float32)], [variable])
    # The buffer holds the raw (unclipped) norms.
    np.testing.assert_allclose(np.sort(np.asarray(optimizer.autoclip_norms)), [1, 2, 3, 4])
    before = np.asarray(variable).copy()
    optimizer.apply([np.array([10.0, 0.0], np.float32)], [variable])
    # History is now {10, 2, 3, 4}: the median position floor(0.5 * 3) = 1 gives 3.
    step = before - np.asarray(variable)
    np.testing.assert_allclose(step, [3.0, 0.0], rtol=1e-5)
    assert float(optimizer.autoclip_count) == 5


def test_non_finite_norm_is_not_recorded():
    optimizer = with_autoclip(keras.optimizers.SGD, percentile=100, history=8)(learning_rate=0.1)
    variable = keras.Variable(np.zeros(1, np.float32))
    optimizer.build([variable])
    optimizer.apply([np.array([1.0], np.float32)], [variable])
    optimizer.apply([np.array([np.inf], np.float32)], [variable])
    assert float(optimizer.autoclip_count) == 1


def test_model_trains_with_autoclip(tmp_path):
    model = make_original(tmp_path / "m", {"gradient_clipping": "autoclip"})
    assert type(model.model.optimizer).__name__ == "AutoClipAdam"
    losses = train_steps(model, 3)
    assert all(np.isfinite(losses))
    assert float(model.model.optimizer.autoclip_count) == 3
    model.save()
    again = make_original(tmp_path / "m", {"gradient_clipping": "autoclip"})
    assert float(again.model.optimizer.autoclip_count) == 3
    inputs, targets = batch(again)
    assert np.isfinite(again.model.train_on_batch(inputs, targets)[0])


def test_bad_percentile():
    with pytest.raises(ValueError, match="percentile"):
        with_autoclip(keras.optimizers.SGD, percentile=0)
