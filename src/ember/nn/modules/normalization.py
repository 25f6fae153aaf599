"""Normalisation layers: BatchNorm, LayerNorm, GroupNorm."""

__all__ = []
