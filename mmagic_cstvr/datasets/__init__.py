"""Datasets registered in mmagic's DATASETS registry."""
from .window_datasets import EvalWindowDataset, TrainingWindowDataset

__all__ = ['TrainingWindowDataset', 'EvalWindowDataset']
