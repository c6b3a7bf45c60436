"""Writing output files whole or not at all: the helpers live in :mod:`capacity.files`,
which ``report`` uses too."""

from capacity.files import write_file_atomically, write_files_atomically

__all__ = ["write_file_atomically", "write_files_atomically"]
