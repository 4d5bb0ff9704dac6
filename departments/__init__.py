"""Agency plugins shipped with duban, one package per department (entry-point group ``duban``)."""
