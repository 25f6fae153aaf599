"""Algorithms built on the collectives: DDP communication hooks."""
