"""The `cpo` command line: parses arguments, calls the library, formats the result."""
