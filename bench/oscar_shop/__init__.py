"""A minimal django-oscar 4.2.1 shop, the reference of `bench/journey.py`; it runs only in the benchmark's own
virtualenv (django-oscar is not a dependency of autosales)."""
