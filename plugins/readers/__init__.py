"""Document readers: each module is a plugin registering a DocumentReaderSpec (entry points reader_*).

A province adds a format the same way: a module with a ``@hookimpl duban_register_document_readers()``
returning ``[DocumentReaderSpec(name, suffixes, read)]``, where ``read(path)`` returns the text (``str``) or
the text and its tables (``ReadDocument(text, tables)``, tables as ``TableBlock`` s with merged cells spread)
and raises duban.errors.ParseError when it cannot read the file.
"""
