"""Document readers: each module is a plugin registering a DocumentReaderSpec (entry points reader_*).

A province adds a format the same way: a module with a ``@hookimpl duban_register_document_readers()``
returning ``[DocumentReaderSpec(name, suffixes, read)]``, where ``read(path) -> str`` raises
duban.errors.ParseError when it cannot read the file.
"""
