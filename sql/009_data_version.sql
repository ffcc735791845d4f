-- 009_data_version.sql - a counter of imports, bumped by `hyoka import` in the transaction that
-- writes the data (store/import.c). A NOTIFY on hyoka_data or hyoka_runs can be sent by any role
-- that may connect, so hyoka-fcgi does not flush its cache on the notification itself: it reads
-- this version and the newest run id, and reloads only when one of them moved (fcgi/db.c).

CREATE TABLE data_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL
);
INSERT INTO data_version (version) VALUES (0);

GRANT SELECT ON data_version TO hyoka_web, hyoka_writer, hyoka_reader; -- hyoka_reader: sql/008
GRANT UPDATE (version) ON data_version TO hyoka_writer;
