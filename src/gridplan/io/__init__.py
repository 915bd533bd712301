"""Readers and writers: OSM PBF/XML, GeoPackage/GeoJSON/Shapefile/GeoParquet/CSV/Excel, Chinese
datums, encodings and column names."""

from .columns import ALIASES, canonical_columns, parse_columns
from .datum import COORDS, to_wgs84
from .files import TABLE_SUFFIXES, read_csv, read_layer, read_layers, read_table
from .osm import read_osm
from .read import GEO_SUFFIXES, OSM_SUFFIXES, load, read_any, read_points

__all__ = ["ALIASES", "COORDS", "GEO_SUFFIXES", "OSM_SUFFIXES", "TABLE_SUFFIXES",
           "canonical_columns", "load", "parse_columns", "read_any", "read_csv", "read_layer",
           "read_layers", "read_osm", "read_points", "read_table", "to_wgs84"]
