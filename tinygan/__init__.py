"""tinygan: a GAN library written from scratch in NumPy."""

__version__ = "0.1.0"
