select nextval(pg_get_serial_sequence('shift', 'shift_id')) from generate_series(1, $1)
