"""Neural network building blocks shared by every model plugin."""
