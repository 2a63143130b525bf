"""The bank directory: short codes, names, CNAPS 行别, head offices, UnionPay institution prefixes."""

from cardbin.banks.directory import BankDirectory, default_directory, load_directory

__all__ = ["BankDirectory", "default_directory", "load_directory"]
