"""Qoldau: the information system of a unified public-services contact center."""
