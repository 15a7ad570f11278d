-- Copies the whole database, consistent as of one read transaction, into the file $1.
vacuum into $1
