"""The one error type for bad input, and how it reads as a single line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: a file, a layer, a column, a row, or a parameter.

    The CLI prints ``str(error)`` as one line and exits with code 2.

    Parameters
    ----------
    what : str
        What is wrong, said plainly ("expected a whole number >= 0, got -3").
    file, layer, column : str, optional
        Where it is.
    row : int, optional
        The 1-based data row (not counting a header) where it is.
    """

    def __init__(self, what: str, *, file=None, layer=None, column=None, row=None):
        self.what = what
        self.file = None if file is None else str(file)
        self.layer = layer
        self.column = column
        self.row = row
        super().__init__(self.line())

    def line(self) -> str:
        """The one line a user sees: file, layer, column, row, then what was expected."""
        where = []
        if self.file:
            where.append(self.file)
        if self.layer:
            where.append(f"layer '{self.layer}'")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        return (", ".join(where) + ": " if where else "") + self.what

    def at(self, **where) -> "InputError":
        """The same error with more of its location filled in (what is set stays)."""
        kw = dict(file=self.file, layer=self.layer, column=self.column, row=self.row)
        for k, v in where.items():
            if kw.get(k) is None:
                kw[k] = v
        return InputError(self.what, **kw)
