-- polar_status: one row; the version counts successful loads, the fact count
-- follows writes.
.load ./polarlite
.echo on
.mode line
SELECT * FROM polar_status;
.mode list
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 's.polar');
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
SELECT polar_insert('has_role', 'User:b', 'reader', 'Repo:x');
SELECT policy_version, fact_count, rejected_count FROM polar_status;
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 's.polar');
SELECT policy_version, fact_count FROM polar_status;
SELECT count(*) FROM polar_status;
-- no log is applied in a plain database: polar_wait times out with 0
SELECT polar_wait('0:0', 10);
SELECT polar_wait('not a token', 10);
-- a message the sidecar refused (polar_rejected, written by polarlite
-- sidecar): waiting on its token is an error naming it and why, not 1;
-- messages of another topic, or not refused, answer 1
CREATE TABLE polar_rejected(topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, message TEXT, reason TEXT NOT NULL, rejected_at INTEGER NOT NULL, PRIMARY KEY(topic, partition, offset));
INSERT INTO polar_meta(key, value) VALUES('log_topic', 'authz'), ('log_partition', 0), ('log_offset', 7);
INSERT INTO polar_rejected VALUES('authz', 0, 5, '[]', 'batch[0].inserts[0]: unknown predicate ''has_rol''', 0), ('other', 0, 6, '[]', 'x', 0);
SELECT polar_wait('0:5', 10);
SELECT polar_wait('0:6', 10), polar_wait('0:7', 10), polar_wait('0:4', 10), polar_wait('0:8', 10);
DELETE FROM polar_meta WHERE key IN ('log_topic', 'log_partition', 'log_offset');
DROP TABLE polar_rejected;
-- a restored file carries its snapshot's creation time (polar_meta, written
-- by polarlite restore); snapshot_age_ms follows the clock
INSERT INTO polar_meta(key, value) VALUES('snapshot_created_at', 1700000000000);
SELECT snapshot_created_at, abs(snapshot_age_ms - ((julianday('now') - 2440587.5)*86400000 - 1700000000000)) < 5000 FROM polar_status;
