"""Support for the OpenMMLab stack: its compatibility fixes, and the Runner set-up shared by
``tools/train.py`` and ``tools/test.py``."""
