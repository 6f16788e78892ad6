"""Reading a workbook: container guards, sheets, cells, the declared schema, typed tables
and validation into Inputs."""
