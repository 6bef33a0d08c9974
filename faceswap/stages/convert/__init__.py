"""`faceswap convert`: the frame loop (pipeline), masks (blend), the forward pass (inference)."""
