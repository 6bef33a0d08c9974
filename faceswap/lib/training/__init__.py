"""Training: data augmentation, and the pieces that feed and drive a model's training loop."""
