"""Exceptions raised by corridor_geo.

Every error a user can cause derives from :class:`CorridorGeoError`; the CLI turns
these into one line on stderr and exit code 2. Messages name the file, row, field or
value at fault and what was expected.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping

__all__ = [
    "ArgumentError",
    "CacheError",
    "CorridorGeoError",
    "DataValidationError",
    "NetworkSourceError",
    "OutputDirError",
    "SnapError",
    "UnknownIdError",
    "UnlocatedPlaceError",
    "UnreachableError",
]


class CorridorGeoError(Exception):
    """Base class of all errors caused by user input or user data."""


class ArgumentError(CorridorGeoError, ValueError, TypeError):
    """A function argument has the wrong type or value.

    For example a string where a list is meant, a negative distance, or a cell size
    whose grid the memory cannot hold.

    Examples
    --------
    >>> isinstance(ArgumentError("x"), ValueError)
    True
    """


class DataValidationError(CorridorGeoError, ValueError):
    """A file, row or field does not hold what was expected.

    Parameters
    ----------
    message
        What was wrong and what was expected.
    path
        The file at fault, if any.
    row
        1-based data row (header excluded) or feature index, if any.
    field
        Column or key at fault, if any.

    Examples
    --------
    >>> str(DataValidationError("expected a number", path="nodes.csv", row=3, field="lon"))
    'nodes.csv, row 3, field lon: expected a number'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        self.reason = message
        where = [p for p in (
            self.path,
            None if row is None else f"row {row}",
            None if field is None else f"field {field}",
        ) if p]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


#: Longest id or name looked up as given; a longer query is shown cut (and not matched).
_LONGEST_NAME = 200


class UnknownIdError(CorridorGeoError, KeyError):
    """An id or name matches no platform, node or station (or more than one).

    Parameters
    ----------
    query
        What the user asked for.
    candidates
        All known ids and names, used to suggest close matches.
    ambiguous
        When the query matched several entries, their ids.
    what
        What kind of thing was looked up (for the message).
    suggestions
        Close matches worked out by the caller (default: :func:`difflib.get_close_matches`
        over *candidates*).
    labels
        Text shown after an id in the message (e.g. its name, kind and city).
    """

    def __init__(
        self,
        query: str,
        candidates: Iterable[str] = (),
        *,
        ambiguous: Iterable[str] = (),
        what: str = "platform, node or station",
        suggestions: Iterable[str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.query = query
        self.ambiguous = sorted(ambiguous)
        # no name is this long: no close-match search over it, and only its start shown
        long = len(query) > _LONGEST_NAME
        self.suggestions = (
            list(suggestions) if suggestions is not None
            else [] if long
            else difflib.get_close_matches(query, sorted(set(candidates)), n=5, cutoff=0.5)
        )
        if long:
            query = f"{query[:60]}… ({len(query):,} characters)"
        labels = labels or {}

        def show(item: str) -> str:
            return f"{item} ({labels[item]})" if item in labels else item

        if self.ambiguous:
            msg = (f"{query!r} is ambiguous: it matches "
                   f"{'; '.join(show(a) for a in self.ambiguous)}; give an id or a fuller name")
        else:
            msg = f"unknown {what} {query!r}"
            if self.suggestions:
                msg += f"; close matches: {'; '.join(show(s) for s in self.suggestions)}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnlocatedPlaceError(UnknownIdError):
    """A name or id matches a place of the plan that has no coordinate.

    Examples
    --------
    >>> "no known location" in str(UnlocatedPlaceError("node_x", "Node X"))
    True
    """

    def __init__(self, query: str, name: str) -> None:
        self.query = query
        self.ambiguous = []
        self.suggestions = []
        KeyError.__init__(
            self,
            f"{query!r} is {name}, which has no known location (confidence 'unknown'); "
            "give it a point in an extra-nodes file with the same id, or use another place",
        )


class StationNotOpenError(UnknownIdError):
    """A station that exists in the data but is not served in the as-of year.

    Parameters
    ----------
    query
        What the user asked for.
    station_id
        The station it names.
    reason
        Why it is not served, naming the year it opens when known.
    opens
        The first year it is served (None when not known).
    """

    def __init__(self, query: str, station_id: str, reason: str,
                 opens: int | None = None) -> None:
        super().__init__(query)
        self.station_id = station_id
        self.opens = opens
        self.args = (f"station {query!r} ({station_id}) {reason}",)


class NetworkSourceError(CorridorGeoError):
    """A network source (file, server, package) cannot give the requested network."""


class SnapError(CorridorGeoError):
    """A point is farther from the network than the allowed snap distance."""


class UnreachableError(CorridorGeoError):
    """An origin or destination lies on a part of the network that cannot reach the rest."""


class CacheError(CorridorGeoError):
    """A cache entry is corrupt or stale (normally handled by rebuilding it)."""


class OutputDirError(CorridorGeoError):
    """The output folder cannot be created or written, or holds files corridor_geo did not write."""
