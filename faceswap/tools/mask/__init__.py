"""`faceswap mask`: landmark masks redrawn (draw), learned-mask model folders (model), storing
their masks (apply), training them on painted masks (train)."""
