"""`faceswap train`: the loop (trainer), folders -> batches (data), warps (augment), preview,
logs."""
