"""Writing output files whole or not at all: the helpers live in :mod:`capacity.files`,
which ``report`` uses too."""

from capacity.files import (
    check_output_dir,
    check_output_file,
    move_into_place,
    signals_held,
    staging_folder,
    write_file_atomically,
    write_files_atomically,
    write_tree_atomically,
)

__all__ = ["check_output_dir", "check_output_file", "move_into_place", "signals_held",
           "staging_folder", "write_file_atomically", "write_files_atomically", "write_tree_atomically"]
